// Package ui is the console: a root model holding a list of screens, each
// behind one component interface (see component.go), that share one
// Context. The workflow (drafts, launches, following) is the desk's.
package ui

import (
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/clock"
	"github.com/kycdesk/kycdesk/providers"
)

// Context is shared by every screen.
type Context struct {
	Desk *desk.Desk
	// SandboxMsg is a short note for the banner, e.g. "in-process: URLs
	// live while this console runs".
	SandboxMsg string

	Now           clock.Func // nil: the desk's clock
	LaunchTimeout time.Duration
	// Copy puts text on the clipboard (OSC 52); Open opens a URL.
	Copy func(string) error
	Open func(string) error

	// Renderer draws for the terminal the operator looks at (a served
	// desk's SSH client); nil: lipgloss's default, the local terminal.
	Renderer *lipgloss.Renderer

	Width, Height int
	Styles        styles
	Keys          keyMap

	// ResumeSession, when set, is the session the console opens at start
	// (a served desk coming back after a restart or a dropped connection).
	ResumeSession string
	// OnScreen, when set, is told the session on screen each time it
	// changes ("" when the console leaves it); it must not block.
	OnScreen func(sessionID string)
}

func (c *Context) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return c.Desk.Now()
}

// sandboxCodeShown reports whether a challenge's simulated code may be
// shown: only in sandbox mode.
func (c *Context) sandboxCodeShown(ch *providers.Challenge) bool {
	return ch != nil && c.Desk.Mode() == providers.ModeSandbox
}

// entry finds a provider by id (nil: unknown).
func (c *Context) entry(id string) *desk.Provider { return c.Desk.Lookup(id) }

// entries lists every provider, usable or not.
func (c *Context) entries() []*desk.Provider { return c.Desk.Providers() }
