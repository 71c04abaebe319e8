package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// BenchmarkSandboxThroughput is iDenfy token requests against the sandbox
// at concurrency 16 over loopback keep-alive connections, next to a bare
// net/http handler that answers each with the same JSON, run the same way
// in the same run (budget: the sandbox's requests per second ≥ 0.8× the
// bare handler's; compare the two ns/op). Each request has its own
// clientId, as desks' launches do. cpu-µs/op is the process's CPU time
// per request (server and client), which a busy machine moves less than
// the wall time.
func BenchmarkSandboxThroughput(b *testing.B) {
	srv := httptest.NewServer(Handler(catalog.All(), Options{}))
	defer srv.Close()
	token := func(c *http.Client, base string, n int64) ([]byte, int, error) {
		body := fmt.Sprintf(`{"clientId":"tp-%d"}`, n)
		req, err := http.NewRequest("POST", base+idenfy.TokenPath, bytes.NewBufferString(body))
		if err != nil {
			return nil, 0, err
		}
		req.SetBasicAuth(idenfy.SandboxAPIKey, idenfy.SandboxAPISecret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			return nil, 0, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return out, resp.StatusCode, err
	}
	client := func() *http.Client {
		return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, MaxConnsPerHost: 16}}
	}
	// The bare handler answers with the sandbox's own answer.
	sc := client()
	sample, code, err := token(sc, srv.URL, 0)
	sc.CloseIdleConnections()
	if err != nil || code != http.StatusCreated {
		b.Fatalf("sandbox token: %d %v %s", code, err, sample)
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write(sample)
	}))
	defer bare.Close()
	var seq, ahead atomic.Int64
	for _, c := range []struct {
		name string
		url  func() (string, func())
	}{
		{"bare-net-http", func() (string, func()) { return bare.URL, func() {} }},
		// The sandbox keeps a bounded number of sessions, each for a day:
		// its clock moves on 100 s per request, so that the oldest expire
		// and it never fills, however long the run.
		{"sandbox-idenfy", func() (string, func()) {
			s := httptest.NewServer(Handler(catalog.All(), Options{Now: func() time.Time {
				return time.Now().Add(time.Duration(ahead.Load()))
			}}))
			return s.URL, s.Close
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			url, done := c.url()
			defer done()
			hc := client()
			// Each run leaves no idle connections (and their goroutines,
			// which every garbage collection scans) to the next.
			defer hc.CloseIdleConnections()
			cpu0 := cpuTime()
			b.SetParallelism(8) // 8 × GOMAXPROCS(2) = 16 at once on the CI machine
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ahead.Add(int64(100 * time.Second))
					if _, code, err := token(hc, url, seq.Add(1)); err != nil || code != http.StatusCreated {
						b.Errorf("%s: %d %v", c.name, code, err)
						return
					}
				}
			})
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
