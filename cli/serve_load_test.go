package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// qrWithScanRef is a line of the result screen with the QR beside it: QR
// modules, then the session's scanRef, drawn in the same frame.
const qrWithScanRef = `[▀▄█]{4}.*scanRef`

// TestServeLoad (set KYCDESK_SERVE_LOAD=1; KYCDESK_SERVE_DESKS, default
// 50, and KYCDESK_SERVE_SECONDS, default 10, bound it): that many SSH
// desks connected at once, each launching an iDenfy session on the
// sandbox once a second through its console (keys: the form's fields,
// review, enter; or with KYCDESK_SERVE_FLOW=profile a desk profile: 1,
// the id, enter, then n), for that long, the desks' moments spread over
// the second (KYCDESK_SERVE_LOCKSTEP=1: all at once, the worst burst, where
// the store's fsynced commits queue). It fails on any launch that does
// not reach its QR, and reports launch-to-QR percentiles: from writing
// the enter that launches to the arrival of the output that shows the QR
// with the session's scanRef, over SSH. The budget (p99 ≤ 100 ms) is a
// figure to read, not a threshold here.
func TestServeLoad(t *testing.T) {
	if os.Getenv("KYCDESK_SERVE_LOAD") == "" {
		t.Skip("set KYCDESK_SERVE_LOAD=1 to run the 50-desk load run")
	}
	desks, secs := envInt("KYCDESK_SERVE_DESKS", 50), envInt("KYCDESK_SERVE_SECONDS", 10)
	// Each enter moves the focus to the next field (whose title the
	// renderer then redraws), the last to review. The next key waits for
	// that: two enters on one field before huh moved on would skip a page
	// and launch unmeasured.
	after := idenfyFormSteps()
	var ops []operator
	for i := range desks {
		ops = append(ops, newOperator(t, "op"+strconv.Itoa(i)))
	}
	ts := startTestServe(t, 0, ops...)
	// KYCDESK_SERVE_FLOW=profile: each desk launches through a desk
	// profile (1, the customer's id, enter; n for the next customer), the
	// flow a branch desk uses; default: the explorer form.
	profileFlow := os.Getenv("KYCDESK_SERVE_FLOW") == "profile"
	lockstep := os.Getenv("KYCDESK_SERVE_LOCKSTEP") != ""
	if profileFlow {
		dir := filepath.Join(ts.env["XDG_CONFIG_HOME"], "kycdesk", "profiles")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		prof := "provider = \"idenfy\"\ntitle = \"Load desk\"\nasked = [\"clientId\"]\naccepted = []\n[values]\nlocale = \"lt\"\ncountry = \"LT\"\ndocuments = [\"PASSPORT\"]\n"
		if err := os.WriteFile(filepath.Join(dir, "load-lt.toml"), []byte(prof), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := ts.srv.SSHAddr()
	var (
		mu    sync.Mutex
		took  []time.Duration
		fails []string
		wg    sync.WaitGroup
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		fails = append(fails, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	end := time.Now().Add(time.Duration(secs) * time.Second)
	for i, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := openDeskTerm(t, addr, "desk-"+strconv.Itoa(i), o, 100, 32)
			press := func(s string) {
				d.stdin.Write([]byte(s))
				time.Sleep(30 * time.Millisecond) // a key at a time, as a person types
			}
			// explore walks the explorer form to review (the developer's
			// path: every essential field, then review).
			explore := func(n int) bool {
				if _, _, ok := d.await("iDenfy — essentials"); !ok {
					fail("desk %d, launch %d: no form; last lines:\n%s", i, n, strings.Join(tail(d.lines(), 20), "\n"))
					return false
				}
				d.from()
				press("load-" + strconv.Itoa(i) + "-" + strconv.Itoa(n) + "\r")
				step := func(want string) bool {
					if _, _, ok := d.await(want); !ok {
						fail("desk %d, launch %d: never showed /%s/; last lines:\n%s", i, n, want, strings.Join(tail(d.lines(), 20), "\n"))
						return false
					}
					return true
				}
				if !step(after[0]) {
					return false
				}
				press("John")
				for _, want := range after[1:] {
					d.from()
					press("\r")
					if !step(want) {
						return false
					}
				}
				d.from()
				return true
			}
			if _, _, ok := d.await("Start a verification session"); !ok {
				fail("desk %d: no home screen", i)
				return
			}
			// Desks act at their own moments, spread over the second, as
			// customers arrive at a branch; KYCDESK_SERVE_LOCKSTEP=1 starts
			// every desk's launches at the same instant (the worst burst).
			if !lockstep {
				time.Sleep(time.Duration(i) * time.Second / time.Duration(desks))
			}
			d.from()
			if profileFlow {
				press("1") // the profile
			} else {
				press("7") // iDenfy's explorer: the providers hold 7-9
			}
			for n := 0; time.Now().Before(end); n++ {
				next := time.Now().Add(time.Second)
				if profileFlow {
					// The desk flow: the profile's screen, the customer's
					// id, enter (n brought the desk back here).
					if _, _, ok := d.await("profile load-lt"); !ok {
						fail("desk %d, launch %d: no profile screen; last lines:\n%s", i, n, strings.Join(tail(d.lines(), 20), "\n"))
						return
					}
					d.from()
					press("load-" + strconv.Itoa(i) + "-" + strconv.Itoa(n))
					d.from()
				} else if !explore(n) {
					return
				}
				start := time.Now()
				d.stdin.Write([]byte("\r"))
				_, at, ok := d.await(qrWithScanRef)
				if !ok {
					fail("desk %d, launch %d: no QR; last lines:\n%s", i, n, strings.Join(tail(d.lines(), 20), "\n"))
					return
				}
				mu.Lock()
				took = append(took, at.Sub(start))
				mu.Unlock()
				time.Sleep(time.Until(next))
				d.from()
				d.stdin.Write([]byte("n"))
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
	t.Logf("%d desks, %d s: %d launches reached their QR, %d failed; launch-to-QR p50 %v, p90 %v, p99 %v, max %v (budget p99 ≤ 100ms)",
		desks, secs, len(took), len(fails), pct(.5).Round(time.Millisecond), pct(.9).Round(time.Millisecond), pct(.99).Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
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
