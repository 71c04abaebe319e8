package alibaba

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// The simulator refuses the 11th call of an account and API within one
// second with Throttling.Api (alibaba.md §6), counts each API apart, and
// accepts calls again once the window has moved on.
func TestSimRateWindow(t *testing.T) {
	var q simRate
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < SimAccountQPS; i++ {
		if !q.allow("ak/Initialize", t0.Add(time.Duration(i)*time.Millisecond)) {
			t.Fatalf("call %d refused", i+1)
		}
	}
	if q.allow("ak/Initialize", t0.Add(500*time.Millisecond)) {
		t.Error("the 11th call within one second was accepted")
	}
	if !q.allow("ak/CheckResult", t0.Add(500*time.Millisecond)) {
		t.Error("another API shares the Initialize window")
	}
	if !q.allow("other/Initialize", t0.Add(500*time.Millisecond)) {
		t.Error("another account shares the window")
	}
	if !q.allow("ak/Initialize", t0.Add(time.Second)) {
		t.Error("a call one second after the first was refused")
	}
}

// Over HTTP: a burst of signed Initialize calls sent without waiting gets
// Throttling.Api from the simulator; the client, which waits on the
// account's bucket, gets none for the same burst from several goroutines,
// and its callers hear that they queued.
func TestSimulatorThrottlesAndClientQueues(t *testing.T) {
	clk := newClock()
	c, _, srv := sandbox(t, clk)
	throttled := 0
	for i := 0; i < SimAccountQPS+5; i++ {
		req, _ := c.signed(t.Context(), ActionInitialize, initQuery())
		if a := send(t, srv.Client(), req); a.status == 403 && a.Code == "Throttling.Api" {
			throttled++
		} else if a.status != 200 {
			t.Fatalf("call %d: %+v", i, a)
		}
	}
	if throttled == 0 {
		t.Fatal("the simulator let a burst over the documented QPS through")
	}
	time.Sleep(time.Second) // let the simulator's window move on

	// A client of its own: the bucket is per AccessKey at an endpoint.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		queued int
	)
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := providers.WithRateWait(context.Background(), func(time.Duration) { mu.Lock(); queued++; mu.Unlock() })
			if _, err := c.Launch(ctx, validValues()); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if queued == 0 {
		t.Error("no launch heard that it queued for the rate limit")
	}
}
