package ui

import (
	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
)

// component is what the root asks of every screen (as soft-serve's
// common.Component): it updates itself, draws itself in the size it was
// given, and names its keys for the footer. Each screen implements it in
// its own file, in place (pointer receivers, no adapters). The root holds
// the screens in one page list (Model.pages) and sizes and dispatches them
// in one place.
type component interface {
	// Keys names the screen's keys in its present state (the footer
	// shows the short list, ? the full one).
	Keys() help.KeyMap
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
