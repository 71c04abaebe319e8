package alibaba

import (
	"testing"
	"time"
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

// Over HTTP: a burst of signed Initialize calls at one instant gets
// Throttling.Api from the simulator after the 10th; a second later (the
// simulator's clock) calls are accepted again.
func TestSimulatorThrottles(t *testing.T) {
	clk := newClock()
	c, _, srv := sandbox(t, clk)
	ok, throttled := 0, 0
	for i := 0; i < SimAccountQPS+5; i++ {
		req, _ := c.signed(t.Context(), ActionInitialize, initQuery())
		switch a := send(t, srv.Client(), req); {
		case a.status == 403 && a.Code == "Throttling.Api":
			throttled++
		case a.status == 200:
			ok++
		default:
			t.Fatalf("call %d: %+v", i, a)
		}
	}
	if ok != SimAccountQPS || throttled != 5 {
		t.Fatalf("accepted %d, throttled %d; want %d and 5", ok, throttled, SimAccountQPS)
	}
	clk.Advance(time.Second)
	req, _ := c.signed(t.Context(), ActionInitialize, initQuery())
	if a := send(t, srv.Client(), req); a.status != 200 {
		t.Fatalf("a second later: %+v", a)
	}
}
