// Package clocktest is the test clock every package shares: it moves only
// when a test sets or advances it, and is safe to read from the
// goroutines of the code under test.
package clocktest

import (
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock"
)

// Start is a fixed, arbitrary instant for tests that need no particular
// one (UTC, so that nothing depends on the machine's zone).
var Start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New is a clock standing at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Func is the clock as code under test takes it (an Options' Now).
func (c *Clock) Func() clock.Func { return c.Now }

// Set moves the clock to t (backwards too).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock on by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}
