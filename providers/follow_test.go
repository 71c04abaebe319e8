package providers

import (
	"testing"
	"time"
)

func TestFollowPolicy(t *testing.T) {
	p := FollowPolicy{AutoPoll: true, PollInterval: 5 * time.Second, PollMaxInterval: 60 * time.Second, MinManualInterval: 10 * time.Second}
	want := []time.Duration{5, 10, 20, 40, 60, 60}
	for n, w := range want {
		if got := p.PollDelay(n); got != w*time.Second {
			t.Errorf("PollDelay(%d) = %v", n, got)
		}
	}
	if (FollowPolicy{PollInterval: time.Second}).PollDelay(0) != 0 {
		t.Error("a policy without AutoPoll polls")
	}
	t0 := time.Unix(1000, 0)
	if p.ManualWait(time.Time{}, t0) != 0 || p.ManualWait(t0, t0.Add(4*time.Second)) != 6*time.Second || p.ManualWait(t0, t0.Add(10*time.Second)) != 0 {
		t.Error("ManualWait")
	}
	if d := (Descriptor{}).FollowPolicy(); d.AutoPoll || d.MinManualInterval != 10*time.Second {
		t.Errorf("default policy %+v", d)
	}
}

func TestAccountLimiter(t *testing.T) {
	a := NewAccountLimiter()
	l := a.Limiter("alibaba", "AK1", 8)
	if a.Limiter("alibaba", "AK1", 8) != l || a.Limiter("alibaba", "AK2", 8) == l || a.Limiter("idenfy", "AK1", 8) == l {
		t.Fatal("buckets are not one per provider and account")
	}
	// Burst 1 at 8 per second, on an explicit clock.
	t0 := time.Unix(2000, 0)
	if !l.AllowN(t0, 1) || l.AllowN(t0, 1) || l.AllowN(t0.Add(100*time.Millisecond), 1) || !l.AllowN(t0.Add(130*time.Millisecond), 1) {
		t.Fatal("not 8 per second with a burst of 1")
	}
	if err := a.Wait(t.Context(), "x", "y", 0); err != nil {
		t.Fatal(err)
	}
}

func TestCallbackTokenAndURL(t *testing.T) {
	k := []byte("key")
	tok := DeriveCallbackToken(k, "alibaba", "BIZ")
	if len(tok) != 32 || tok == DeriveCallbackToken(k, "alibaba", "BIZ2") || tok == DeriveCallbackToken([]byte("key2"), "alibaba", "BIZ") {
		t.Fatal(tok)
	}
	if !CheckCallbackToken(k, "alibaba", "BIZ", tok) || CheckCallbackToken(k, "alibaba", "BIZ", tok[:31]) || CheckCallbackToken(nil, "alibaba", "BIZ", DeriveCallbackToken(nil, "alibaba", "BIZ")) {
		t.Fatal("CheckCallbackToken")
	}
	if u := (&CallbackTarget{BaseURL: "http://127.0.0.1:1/"}).URL("idenfy"); u != "http://127.0.0.1:1/callbacks/idenfy" {
		t.Fatal(u)
	}
	for raw, want := range map[string][2]bool{ // sandbox ok, live ok
		"https://x.example/cb":  {true, true},
		"http://127.0.0.1:9/cb": {true, false},
		"http://[::1]:9/cb":     {true, false},
		"http://x.example/cb":   {false, false},
		"mailto:x@example.com":  {false, false},
	} {
		if got := CheckCallbackURL(raw, ModeSandbox) == ""; got != want[0] {
			t.Errorf("sandbox %s: %v", raw, got)
		}
		if got := CheckCallbackURL(raw, ModeLive) == ""; got != want[1] {
			t.Errorf("live %s: %v", raw, got)
		}
	}
}
