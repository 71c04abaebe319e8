// Package ui is the console: a root model with a screen enum and concrete
// child screens (home, form, review, launching, result, challenge, error,
// sessions, detail) that share one Context, as glow's ui does.
package ui

import (
	"context"
	"time"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
)

// Entry is one provider as the console offers it.
type Entry struct {
	Desc     providers.Descriptor
	Resolved config.Resolved
	Client   providers.Client // nil when Disabled
	Disabled string           // why it cannot be used ("" = usable)
}

// Recorder is the seam to the session layer: it journals launches and
// status changes and lists past sessions.
type Recorder interface {
	// Launch journals the intent, sends, journals the outcome.
	Launch(ctx context.Context, e *Entry, v providers.Values) (sessionID string, l *providers.Launch, err error)
	// Retry re-sends an unknown-outcome launch with the same values.
	Retry(ctx context.Context, sessionID string, e *Entry, v providers.Values) (*providers.Launch, error)
	// Status journals a status change.
	Status(sessionID string, st *providers.Status)
	// Sessions lists at most limit sessions (0 = all) newest first,
	// filtered by query ("" = all), and how many matched in all.
	Sessions(query string, limit int) ([]SessionRow, int)
	// Unknown counts sessions whose launch outcome is unknown.
	Unknown() int
	// Pending lists live sessions still pending for a customer id.
	Pending(provider, customer string) []SessionRow
	// Problem is a note about the journal (torn line, unwritable), or "".
	Problem() string
}

// SessionRow is a journalled session as the lists show it.
type SessionRow struct {
	ID, Provider, Mode, Endpoint, Customer string
	Reference                              string // the main provider id (scanRef, TransactionId, authenticationId)
	State                                  providers.State
	OutcomeUnknown                         bool
	CreatedAt, ExpiresAt                   time.Time
	Launch                                 *providers.Launch
	History                                []providers.Status
	Error                                  string
	Values                                 providers.Values // non-personal values, for relaunch
}

// Context is shared by every screen.
type Context struct {
	Entries    []*Entry
	Mode       providers.Mode
	Endpoint   string // SANDBOX URL or, in live mode, "" (per provider)
	SandboxMsg string // e.g. "in-process sandbox: its URLs live as long as this console"
	Recorder   Recorder

	Now           func() time.Time
	LaunchTimeout time.Duration
	// Copy puts text on the clipboard (OSC 52); Open opens a URL.
	Copy func(string) error
	Open func(string) error
	// SavePreset stores the values a provider's new forms start with and
	// returns where; LoadPreset reads them (nil: none). Both may be nil.
	SavePreset func(provider string, v providers.Values) (string, error)
	LoadPreset func(provider string) (providers.Values, error)

	Width, Height int
	Styles        styles
	Keys          keyMap
}

func (c *Context) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// sandboxCodeShown reports whether a challenge's simulated code may be
// shown: only in sandbox mode.
func (c *Context) sandboxCodeShown(ch *providers.Challenge) bool {
	return ch != nil && c.Mode == providers.ModeSandbox
}

// entry finds a provider entry by id.
func (c *Context) entry(id string) *Entry {
	for _, e := range c.Entries {
		if e.Desc.ID == id {
			return e
		}
	}
	return nil
}
