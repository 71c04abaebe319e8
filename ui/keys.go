package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// keyMap holds every binding; screens enable the ones they use, so help
// and tests see the same keys.
type keyMap struct {
	Quit, QuitQ, Back, Help                key.Binding
	Up, Down, Select, Sessions, Filter     key.Binding
	Launch, Edit, Curl, Copy, Open, Status key.Binding
	Next, Retry, Trigger, Verify, QR       key.Binding
	PageUp, PageDown, SaveProfile          key.Binding
	Review, ModeToggle, CloseOut           key.Binding
	// Wire shows the provider's raw response (for developers).
	Wire key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		QuitQ:    key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Select:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "select")),
		Sessions: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sessions")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Launch:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "launch")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Curl:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy as curl")),
		Copy:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy URL")),
		Open:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open URL")),
		Status:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh status")),
		Next:     key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next session")),
		Retry:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry same request")),
		Trigger:  key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "send code")),
		Verify:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "verify code")),
		QR:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", " "), key.WithHelp("pgdn", "page down")),
		// p saves the reviewed setup as a desk profile.
		SaveProfile: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "save as profile")),
		Review:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "review")),
		ModeToggle:  key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "other mode")),
		CloseOut:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "close out")),
		Wire:        key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "raw response")),
	}
}

// bindings is a help.KeyMap over a fixed list. more, when set, adds the
// full help's extra keys when it is drawn: a form's key bindings are
// built afresh on each call, and the footer asks for the short help after
// every message (issue 18).
type bindings struct {
	short, extra []key.Binding
	more         func() []key.Binding
}

func (b bindings) ShortHelp() []key.Binding { return b.short }
func (b bindings) FullHelp() [][]key.Binding {
	extra := b.extra
	if b.more != nil {
		extra = append(extra[:len(extra):len(extra)], b.more()...)
	}
	return [][]key.Binding{b.short, extra}
}

// typedText marks characters that came in one read as text, not a key.
// Bubble Tea v1 delivers what arrives together — fast typing over SSH, a
// barcode scanner, a paste from a terminal without bracketed paste — as one
// KeyRunes message whose String() is the characters themselves, so a word
// such as "left", "up", "end", "tab" or "enter" between spaces matched the
// key binding of that name: the cursor moved or the form went on, and the
// word was lost from the field. Marked as a paste its String() is "[left]",
// which no binding matches, and a text field inserts the characters as
// typed. A single character is a key press, as before.
func typedText(msg tea.KeyMsg) tea.KeyMsg {
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {
		msg.Paste = true
	}
	return msg
}
