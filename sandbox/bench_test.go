package sandbox

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
)

// BenchmarkSandboxLaunch measures a launch end to end against the sandbox
// over loopback HTTP: prepare, validate, sign, send, simulate, decode
// (budget 5 ms). It runs at any run length: each run has its own sandbox,
// whose clock (the client's too, so signatures stay within the allowed
// skew) moves on after every launch, so that the simulators' documented
// limits are kept and their sessions expire — Alibaba's 10 QPS (1 s a
// launch), iDenfy's and DWS's bounded session tables (100 s and 10 s a
// launch: a day's sessions are then about 1,700 and 8,600); DWS gets a
// fresh number per launch (its per-number limit), never a magic one. A
// launch's own cost is measured, not a wait.
func BenchmarkSandboxLaunch(b *testing.B) {
	reg := catalog.All()
	cases := map[string]providers.Values{
		"idenfy":  {"clientId": {"bench-1"}},
		"alibaba": {"MerchantUserId": {"bench-1"}, "DocType": {"01000000"}},
		"dws":     {"identityValue": {"+447400123456"}},
	}
	step := map[string]time.Duration{"idenfy": 100 * time.Second, "alibaba": time.Second, "dws": 10 * time.Second}
	for _, d := range reg {
		b.Run(d.ID, func(b *testing.B) {
			var ahead atomic.Int64 // how far the simulators' clock is ahead of the wall clock
			now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
			srv, err := Start(reg, "127.0.0.1:0", Options{Now: now})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			c, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Credentials: d.SandboxCredentials, Now: now})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v := c.Prepare(cases[d.ID].Clone())
				ahead.Add(int64(step[d.ID]))
				if d.ID == "dws" {
					// A fresh number per launch keeps under the simulator's
					// per-number limit; it ends in 1, never in one of the
					// sandbox's magic suffixes (0995-0999 fail on purpose).
					v.Set("identityValue", "+4474"+pad(i)[1:]+"1")
				}
				if _, err := c.Launch(context.Background(), v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func pad(i int) string {
	s := []byte("00000000")
	for j := len(s) - 1; j >= 0 && i > 0; j-- {
		s[j] = byte('0' + i%10)
		i /= 10
	}
	return string(s)
}
