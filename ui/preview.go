package ui

import tea "github.com/charmbracelet/bubbletea"

// Preview is home as the console opens on it, drawn before the console is
// there. The console opens its session store and its sandbox while Bubble
// Tea starts, and Bubble Tea draws the first frame at its renderer's first
// tick (8 ms at 120 fps) with whatever the model shows then: on a busy
// machine opening took longer than that tick, and the first frame waited a
// tick more with nothing on it (issue 18). The preview is drawn by the
// console's own code from a desk whose store is not read: the banner (the
// sandbox's address comes with the console), the desk profiles, the
// providers and home's keys, each as the console will show it; what the
// store holds (recent sessions, sessions of unknown outcome, the store's
// notes) is left out rather than shown wrong. It only draws: keys wait for
// the console (cli's opening model hands them on).
type Preview struct{ m *Model }

// NewPreview draws ctx's home before its store is read: ctx.Desk's
// providers and profiles only (its store is never touched).
func NewPreview(ctx *Context) *Preview {
	m := newModel(ctx)
	m.home = newOpeningHome(ctx)
	return &Preview{m}
}

// Resize sizes the preview to the window (at the same size it is not
// drawn again).
func (p *Preview) Resize(w, h int) {
	if w != p.m.ctx.Width || h != p.m.ctx.Height {
		p.m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	}
}

// Note says what the console waits for, where its recent sessions will
// be ("": nothing).
func (p *Preview) Note(s string) {
	p.m.home.note = s
	p.m.dirty = true
}

// View is the frame (empty until the window's size is known, as the
// console's).
func (p *Preview) View() string { return p.m.View() }
