package session

import (
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

func TestNextPoll(t *testing.T) {
	var p Poller
	want := []time.Duration{5, 10, 20, 40, 60, 60, 60}
	for i, w := range want {
		if got := p.NextPoll(i); got != w*time.Second {
			t.Errorf("NextPoll(%d) = %v, want %v", i, got, w*time.Second)
		}
	}
	if got := p.NextPoll(1000); got != time.Minute {
		t.Fatal(got)
	}
	q := Poller{First: time.Second, Max: 3 * time.Second}
	if q.NextPoll(0) != time.Second || q.NextPoll(1) != 2*time.Second || q.NextPoll(2) != 3*time.Second {
		t.Fatal("custom schedule")
	}
}

// simulate drives the schedule the way the console does with tea.Tick, on
// a fake clock, and returns the times (since start) at which it polled.
func simulate(p *Poller, s *Session, clock *fakeClock, finalAt time.Duration) []time.Duration {
	start := clock.Now()
	var polls []time.Duration
	for attempt := 0; attempt < 100; attempt++ {
		clock.Advance(p.NextPoll(attempt)) // tea.Tick fires
		now := clock.Now()
		if !p.ShouldPoll(s, now) {
			break
		}
		if !p.Begin(s.ID) {
			continue
		}
		polls = append(polls, now.Sub(start))
		if finalAt > 0 && now.Sub(start) >= finalAt {
			c := *s
			c.State = providers.StateApproved
			s = &c
		}
		p.End(s.ID)
	}
	return polls
}

func TestPollScheduleStopsAtExpiry(t *testing.T) {
	clock := newClock()
	s := &Session{ID: "k7f3q9x2", State: providers.StatePending, LaunchedAt: clock.Now(),
		ExpiresAt: clock.Now().Add(5 * time.Minute)}
	got := simulate(&Poller{}, s, clock, 0)
	want := []time.Duration{5, 15, 35, 75, 135, 195, 255} // seconds; 315 is past the expiry
	if len(got) != len(want) {
		t.Fatalf("polls at %v", got)
	}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("polls at %v, want %v s", got, want)
		}
	}
}

func TestPollScheduleStopsAtFinalState(t *testing.T) {
	clock := newClock()
	s := &Session{ID: "k7f3q9x2", State: providers.StatePending, LaunchedAt: clock.Now(),
		ExpiresAt: clock.Now().Add(time.Hour)}
	got := simulate(&Poller{}, s, clock, 30*time.Second)
	if len(got) != 3 || got[2] != 35*time.Second {
		t.Fatalf("polls at %v", got)
	}
}

func TestShouldPoll(t *testing.T) {
	var p Poller
	now := time.Now()
	cases := []struct {
		s    *Session
		want bool
	}{
		{nil, false},
		{&Session{State: StateOutcomeUnknown}, false},
		{&Session{State: StateFailed}, false},
		{&Session{State: providers.StatePending, LaunchedAt: now}, true},
		{&Session{State: providers.StateUnknown, LaunchedAt: now}, true},
		{&Session{State: providers.StateDenied, LaunchedAt: now}, false},
		{&Session{State: providers.StatePending, LaunchedAt: now, ExpiresAt: now}, false},
	}
	for i, c := range cases {
		if got := p.ShouldPoll(c.s, now); got != c.want {
			t.Errorf("case %d: %v", i, got)
		}
	}
}

func TestOneRequestInFlight(t *testing.T) {
	var p Poller
	if !p.Begin("a") || p.Begin("a") || !p.Begin("b") {
		t.Fatal("Begin")
	}
	p.End("a")
	if !p.Begin("a") {
		t.Fatal("Begin after End")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.Begin("c") {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d requests in flight", won)
	}
}
