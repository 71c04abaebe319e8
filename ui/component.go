package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// component is what the root asks of every screen (as soft-serve's
// common.Component): it updates itself, draws itself in the size it was
// given, and names its keys for the footer. The root holds the screens in
// one page list (Model.pages) and sizes and dispatches them in one place.
type component interface {
	help.KeyMap
	Update(tea.Msg) tea.Cmd
	View() string
	SetSize(w, h int) tea.Cmd
	// Typing reports whether keys are text for a field (q and ? are
	// letters then).
	Typing() bool
}

// footerless is a screen that draws its keys itself and takes the
// footer's line (the result screen, so that a QR for a ~100-character URL
// fits 80×24).
type footerless interface{ Footerless() bool }

// The screens' component methods: each screen keeps its own update/view
// in value style; these adapt it to the interface.

func (h *homeModel) Update(msg tea.Msg) (cmd tea.Cmd) { *h, cmd = h.update(msg); return }
func (h *homeModel) View() string                     { return h.view() }
func (h *homeModel) SetSize(w, ht int) tea.Cmd        { h.setSize(w, ht); return nil }
func (h *homeModel) ShortHelp() []key.Binding         { return h.keys().ShortHelp() }
func (h *homeModel) FullHelp() [][]key.Binding        { return h.keys().FullHelp() }
func (h *homeModel) Typing() bool                     { return false }

func (f *formModel) Update(msg tea.Msg) (cmd tea.Cmd) { *f, cmd = f.update(msg); return }
func (f *formModel) View() string                     { return f.view() }
func (f *formModel) SetSize(w, h int) tea.Cmd         { return f.setSize(w, h) }
func (f *formModel) ShortHelp() []key.Binding         { return f.keys().ShortHelp() }
func (f *formModel) FullHelp() [][]key.Binding        { return f.keys().FullHelp() }
func (f *formModel) Typing() bool                     { return true }

func (r *reviewModel) Update(msg tea.Msg) (cmd tea.Cmd) { *r, cmd = r.update(msg); return }
func (r *reviewModel) View() string                     { return r.view() }
func (r *reviewModel) SetSize(w, h int) tea.Cmd         { r.setSize(w, h); return nil }
func (r *reviewModel) ShortHelp() []key.Binding         { return r.keys().ShortHelp() }
func (r *reviewModel) FullHelp() [][]key.Binding        { return r.keys().FullHelp() }
func (r *reviewModel) Typing() bool                     { return r.saving != nil }

func (p *profileModel) Update(msg tea.Msg) (cmd tea.Cmd) { *p, cmd = p.update(msg); return }
func (p *profileModel) View() string                     { return p.view() }
func (p *profileModel) SetSize(w, h int) tea.Cmd         { return p.setSize(w, h) }
func (p *profileModel) ShortHelp() []key.Binding         { return p.keys().ShortHelp() }
func (p *profileModel) FullHelp() [][]key.Binding        { return p.keys().FullHelp() }
func (p *profileModel) Typing() bool                     { return true }

func (l *launchingModel) Update(msg tea.Msg) (cmd tea.Cmd) { *l, cmd = l.update(msg); return }
func (l *launchingModel) View() string                     { return l.view() }
func (l *launchingModel) SetSize(int, int) tea.Cmd         { return nil }
func (l *launchingModel) ShortHelp() []key.Binding         { return l.keys().ShortHelp() }
func (l *launchingModel) FullHelp() [][]key.Binding        { return l.keys().FullHelp() }
func (l *launchingModel) Typing() bool                     { return false }

func (r *resultModel) Update(msg tea.Msg) (cmd tea.Cmd) { *r, cmd = r.update(msg); return }
func (r *resultModel) View() string                     { return r.view() }
func (r *resultModel) SetSize(w, h int) tea.Cmd         { r.setSize(w, h+1); return nil }
func (r *resultModel) ShortHelp() []key.Binding         { return r.keys().ShortHelp() }
func (r *resultModel) FullHelp() [][]key.Binding        { return r.keys().FullHelp() }
func (r *resultModel) Typing() bool                     { return r.typing() }
func (r *resultModel) Footerless() bool                 { return true }

func (e *errorModel) Update(msg tea.Msg) (cmd tea.Cmd) { *e, cmd = e.update(msg); return }
func (e *errorModel) View() string                     { return e.view() }
func (e *errorModel) SetSize(w, h int) tea.Cmd         { e.setSize(w, h); return nil }
func (e *errorModel) ShortHelp() []key.Binding         { return e.keys().ShortHelp() }
func (e *errorModel) FullHelp() [][]key.Binding        { return e.keys().FullHelp() }
func (e *errorModel) Typing() bool                     { return false }

func (s *sessionsModel) Update(msg tea.Msg) (cmd tea.Cmd) { *s, cmd = s.update(msg); return }
func (s *sessionsModel) View() string                     { return s.view() }
func (s *sessionsModel) SetSize(w, h int) tea.Cmd         { s.setSize(w, h); return nil }
func (s *sessionsModel) ShortHelp() []key.Binding         { return s.keys().ShortHelp() }
func (s *sessionsModel) FullHelp() [][]key.Binding        { return s.keys().FullHelp() }
func (s *sessionsModel) Typing() bool                     { return s.typing() }
