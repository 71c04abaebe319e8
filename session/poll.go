package session

import (
	"sync"
	"time"
)

// Poller is the status polling schedule the console follows with
// tea.Tick: the first poll 5 s after the launch, each next one twice as
// late up to a 60 s cap, at most one request in flight per session, and
// none once the session is final or expired. It is pure bookkeeping: it
// neither sleeps nor reads a clock. The zero value is ready to use.
type Poller struct {
	// First is the first delay (0: 5 s); Max caps the delays (0: 60 s).
	First, Max time.Duration

	mu   sync.Mutex
	busy map[string]bool
}

// NextPoll is the delay before poll number attempt (0 for the first).
func (p *Poller) NextPoll(attempt int) time.Duration {
	d, limit := p.First, p.Max
	if d <= 0 {
		d = 5 * time.Second
	}
	if limit <= 0 {
		limit = 60 * time.Second
	}
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Begin claims the session's one in-flight status request; false means one
// is already running and this poll should be skipped.
func (p *Poller) Begin(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy[id] {
		return false
	}
	if p.busy == nil {
		p.busy = map[string]bool{}
	}
	p.busy[id] = true
	return true
}

// End releases the claim taken by Begin.
func (p *Poller) End(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.busy, id)
}

// ShouldPoll reports whether the session's status is worth asking for at
// now: it was launched, and it is neither final nor expired.
func (p *Poller) ShouldPoll(s *Session, now time.Time) bool {
	return s != nil && s.Launched() && !s.Final() && !s.Expired(now)
}
