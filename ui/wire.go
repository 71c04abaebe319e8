package ui

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/providers"
)

// maxWire bounds the answers a screen keeps to show (the launch's and
// those of the requests made from the screen since).
const maxWire = 8

// wirePanel shows the provider's raw answers behind a screen (w), for a
// developer exploring the API: status line, headers and body, as
// providers.Capture masked them. The screen keeps them only while shown.
type wirePanel struct {
	open bool
	ex   []providers.Exchange
	vp   viewport.Model
	w, h int
}

// add appends answers, keeping the last maxWire.
func (p *wirePanel) add(ex []providers.Exchange) {
	p.ex = append(p.ex, ex...)
	if len(p.ex) > maxWire {
		p.ex = p.ex[len(p.ex)-maxWire:]
	}
	if p.open {
		p.fill()
	}
}

func (p *wirePanel) toggle() {
	p.open = !p.open
	if p.open {
		p.fill()
		p.vp.GotoTop()
	}
}

// setSize gives the panel w×h cells, its title line included.
func (p *wirePanel) setSize(w, h int) {
	p.w, p.h = w, max(1, h)
	if p.open {
		p.fill()
	}
}

// fill lays the answers out for the width; done on open and resize, not
// per frame.
func (p *wirePanel) fill() {
	off := p.vp.YOffset
	p.vp = viewport.New(max(10, p.w), max(1, p.h-1))
	p.vp.SetContent(wireText(p.ex, max(10, p.w)))
	p.vp.SetYOffset(off)
}

func (p wirePanel) update(msg tea.KeyMsg) (wirePanel, tea.Cmd) {
	var cmd tea.Cmd
	p.vp, cmd = p.vp.Update(msg)
	return p, cmd
}

func (p wirePanel) view(s styles) string {
	pos := ""
	if n := p.vp.TotalLineCount(); n > p.vp.Height {
		pos = " · " + strconv.Itoa(int(p.vp.ScrollPercent()*100)) + "%"
	}
	// The note whole in the width, or its short form: never cut.
	note := " · sanitized; secrets and the personal values sent are masked; not stored"
	for _, n := range []string{note, " · sanitized, masked, not stored", ""} {
		note = n
		if ansi.StringWidth("Raw provider response"+note+pos) <= max(10, p.w) {
			break
		}
	}
	title := s.Title.Render("Raw provider response") + s.Subtle.Render(note+pos)
	return truncate(title, max(10, p.w)) + "\n" + p.vp.View()
}

// wireText is every answer, oldest first: request and status line,
// headers, then the body (JSON indented), hard-wrapped to w.
func wireText(ex []providers.Exchange, w int) string {
	if len(ex) == 0 {
		return "No answer was received from the provider (nothing reached it, or the connection failed before a response)."
	}
	var b strings.Builder
	for i, e := range ex {
		if i > 0 {
			b.WriteString("\n" + strings.Repeat("─", min(w, 40)) + "\n")
		}
		shown := e
		var out bytes.Buffer
		if json.Indent(&out, []byte(e.Body), "", "  ") == nil {
			shown.Body = out.String()
		}
		b.WriteString(wrapBlock(shown.Text(), w))
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// wireKeys are the panel's keys while it is open.
func wireKeys(k keyMap) []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys("w", "esc"), key.WithHelp("w/esc", "close")), k.Up, k.Down, k.PageDown}
}

// handleOpen takes a key while the panel is open: w or esc closes it,
// others scroll it. ok is false when the panel is closed (the screen's
// own keys apply).
func (w wirePanel) handleOpen(km tea.KeyMsg, k keyMap) (wirePanel, tea.Cmd, bool) {
	if !w.open {
		return w, nil, false
	}
	if key.Matches(km, k.Wire, k.Back) {
		w.toggle()
		return w, nil, true
	}
	w, cmd := w.update(km)
	return w, cmd, true
}
