package cli

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeLoad (set KYCDESK_SERVE_LOAD=1; KYCDESK_SERVE_DESKS, default
// 50, and KYCDESK_SERVE_SECONDS, default 10, bound it): that many SSH
// desks connected at once, each launching an iDenfy session on the
// sandbox once a second through its console (keys: n, the form, review,
// enter), for that long. It fails on any launch that does not reach its
// QR, and reports launch-to-QR (enter on review → the scanRef on the
// desk's screen, over SSH) percentiles; the budget (p99 ≤ 100 ms) is a
// figure to read, not a threshold here.
func TestServeLoad(t *testing.T) {
	if os.Getenv("KYCDESK_SERVE_LOAD") == "" {
		t.Skip("set KYCDESK_SERVE_LOAD=1 to run the 50-desk load run")
	}
	desks, secs := envInt("KYCDESK_SERVE_DESKS", 50), envInt("KYCDESK_SERVE_SECONDS", 10)
	var ops []operator
	for i := range desks {
		ops = append(ops, newOperator(t, "op"+strconv.Itoa(i)))
	}
	ts := startTestServe(t, 0, ops...)
	addr := ts.srv.SSHAddr()
	var (
		mu    sync.Mutex
		took  []time.Duration
		fails []string
		wg    sync.WaitGroup
	)
	end := time.Now().Add(time.Duration(secs) * time.Second)
	for i, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := openDeskTerm(t, addr, "desk-"+strconv.Itoa(i), o, 100, 32)
			d.waitFor(t, "Start a verification session")
			d.from()
			d.keys("1")
			for n := 0; time.Now().Before(end); n++ {
				next := time.Now().Add(time.Second)
				d.waitFor(t, "iDenfy — essentials")
				io := d.stdin
				io.Write([]byte("load-" + strconv.Itoa(i) + "-" + strconv.Itoa(n) + "\r"))
				io.Write([]byte("John"))
				// A key at a time, each after the screen answered the last:
				// an enter too many on the review would launch unmeasured.
				for k := 0; k < 30 && !d.shows("Review: the exact request"); k++ {
					before := len(d.out.String())
					io.Write([]byte("\r"))
					for w := 0; w < 200 && len(d.out.String()) == before; w++ {
						time.Sleep(10 * time.Millisecond)
					}
					time.Sleep(30 * time.Millisecond)
				}
				if !d.shows("Review: the exact request") {
					mu.Lock()
					fails = append(fails, "desk "+strconv.Itoa(i)+": never reached the review")
					mu.Unlock()
					return
				}
				d.from()
				start := time.Now()
				io.Write([]byte("\r"))
				d.waitFor(t, "scanRef")
				mu.Lock()
				took = append(took, time.Since(start))
				mu.Unlock()
				time.Sleep(time.Until(next))
				d.from()
				io.Write([]byte("n"))
			}
		}()
	}
	wg.Wait()
	for _, f := range fails {
		t.Error(f)
	}
	if len(took) == 0 {
		t.Fatal("no launch reached its QR")
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	pct := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))] }
	t.Logf("%d desks, %d s: %d launches reached their QR; launch-to-QR p50 %v, p90 %v, p99 %v, max %v (budget p99 ≤ 100ms)",
		desks, secs, len(took), pct(.5).Round(time.Millisecond), pct(.9).Round(time.Millisecond), pct(.99).Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	m := metricsText(t, ts.httpURL())
	for _, l := range strings.Split(m, "\n") {
		if strings.HasPrefix(l, "kycdesk_launches_finished_total") || strings.HasPrefix(l, "kycdesk_provider_errors_total") {
			t.Log(l)
		}
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
