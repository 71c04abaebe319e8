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
// (budget 5 ms). It runs at any run length: the Alibaba simulator keeps
// the account's documented 10 QPS, so its clock moves on 101 ms per
// launch (a launch's own cost is measured, not the wait for the next
// second; up to about 8,000 launches, within the signature's 15-minute
// clock skew); DWS gets a fresh number per launch (the simulator's
// per-number limit).
func BenchmarkSandboxLaunch(b *testing.B) {
	reg := catalog.All()
	var ahead atomic.Int64 // how far the simulators' clock is ahead of the wall clock
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	srv, err := Start(reg, "127.0.0.1:0", Options{Now: now})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cases := map[string]providers.Values{
		"idenfy":  {"clientId": {"bench-1"}},
		"alibaba": {"MerchantUserId": {"bench-1"}, "DocType": {"01000000"}},
		"dws":     {"identityValue": {"+447400123456"}},
	}
	for _, d := range reg {
		c, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Credentials: d.SandboxCredentials})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(d.ID, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				v := c.Prepare(cases[d.ID].Clone())
				if d.ID == "alibaba" {
					ahead.Add(int64(101 * time.Millisecond))
				}
				if d.ID == "dws" {
					// a fresh number per launch keeps under the simulator's per-number limit
					v.Set("identityValue", "+4474"+pad(i))
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
