package session_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
	_ "github.com/kycdesk/kycdesk/session/postgres"
	_ "github.com/kycdesk/kycdesk/session/sqlite"
	"github.com/kycdesk/kycdesk/session/storetest"
)

// The store benchmarks compare a new desk's history (100 sessions) with a
// year of a busy one (100k, 1M), in the same run. The histories are
// generated once per run, lazily: -bench 'Store.*/sqlite/100k' never
// makes the million. PostgreSQL runs when KYCDESK_TEST_POSTGRES is set,
// up to 100k unless KYCDESK_BENCH_POSTGRES_1M is set too.

var benchSizes = []struct {
	name string
	n    int
}{{"new", 100}, {"100k", 100_000}, {"1M", 1_000_000}}

type benchStore struct {
	url string
	env map[string]string
	st  session.Store
	ids []string // existing sessions, from all of the history
}

var (
	benchMu     sync.Mutex
	benchStores = map[string]*benchStore{}
	benchClean  []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range benchClean {
		f()
	}
	os.Exit(code)
}

func benchKinds(b *testing.B) []string {
	kinds := []string{"sqlite"}
	if os.Getenv("KYCDESK_TEST_POSTGRES") != "" {
		kinds = append(kinds, "postgres")
	}
	return kinds
}

// history opens (generating it the first time) the store of kind with n
// sessions.
func history(b *testing.B, kind string, n int) *benchStore {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	key := fmt.Sprintf("%s/%d", kind, n)
	if bs := benchStores[key]; bs != nil {
		return bs
	}
	env := map[string]string{session.KeyEnv: storetest.TestKey}
	var u string
	switch kind {
	case "sqlite":
		dir, err := os.MkdirTemp("", "kycdesk-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchClean = append(benchClean, func() { os.RemoveAll(dir) })
		u = filepath.Join(dir, "kycdesk.db")
		env["HOME"] = dir
	case "postgres":
		base := os.Getenv("KYCDESK_TEST_POSTGRES")
		schema := fmt.Sprintf("kycdesk_bench_%d_%d", n, time.Now().UnixNano())
		admin, err := session.OpenStore(base, func(k string) string { return env[k] })
		if err != nil {
			b.Fatal(err)
		}
		db := admin.(*session.DB).SQL()
		if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
			b.Fatal(err)
		}
		benchClean = append(benchClean, func() { db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); admin.Close() })
		p, _ := url.Parse(base)
		q := p.Query()
		q.Set("search_path", schema)
		p.RawQuery = q.Encode()
		u = p.String()
		env["HOME"] = b.TempDir()
	}
	st, err := session.OpenStore(u, func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := st.(*session.DB).Synthesize(context.Background(), n, time.Now()); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d sessions generated in %v", kind, n, time.Since(start).Round(time.Millisecond))
	bs := &benchStore{url: u, env: env, st: st}
	rows, err := st.(*session.DB).SQL().Query(`SELECT id FROM sessions ORDER BY random() LIMIT 1000`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		bs.ids = append(bs.ids, id)
	}
	rows.Close()
	benchStores[key] = bs
	return bs
}

// eachHistory runs fn for every kind and size.
func eachHistory(b *testing.B, sizes []string, fn func(b *testing.B, bs *benchStore)) {
	for _, kind := range benchKinds(b) {
		for _, sz := range benchSizes {
			if sizes != nil && !contains(sizes, sz.name) {
				continue
			}
			if kind == "postgres" && sz.n > 100_000 && os.Getenv("KYCDESK_BENCH_POSTGRES_1M") == "" {
				continue // generating it takes several minutes over the network
			}
			b.Run(kind+"/"+sz.name, func(b *testing.B) {
				bs := history(b, kind, sz.n)
				b.ResetTimer()
				fn(b, bs)
			})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var bctx = context.Background()

// BenchmarkStoreGet is `status ID` and opening one session: a session
// found by its id.
func BenchmarkStoreGet(b *testing.B) {
	eachHistory(b, nil, func(b *testing.B, bs *benchStore) {
		for i := 0; b.Loop(); i++ {
			if _, err := bs.st.Get(bctx, bs.ids[i%len(bs.ids)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreFirstPage is the sessions list's first page with the
// home screen's counts.
func BenchmarkStoreFirstPage(b *testing.B) {
	eachHistory(b, nil, func(b *testing.B, bs *benchStore) {
		for b.Loop() {
			list, err := bs.st.List(bctx, session.Query{Limit: 50})
			if err != nil || len(list) != 50 {
				b.Fatal(len(list), err)
			}
			if _, err := bs.st.Counts(bctx, "", time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreListPage is the console's sessions list opening: its
// first page (100, one mode) and the count of its sessions up to 1000
// (desk.SessionsPage with no filter).
func BenchmarkStoreListPage(b *testing.B) {
	eachHistory(b, nil, func(b *testing.B, bs *benchStore) {
		for b.Loop() {
			list, n, err := bs.st.Search(bctx, session.Query{Mode: providers.ModeLive, Limit: 100}, 1000)
			if err != nil || len(list) == 0 || n == 0 {
				b.Fatal(len(list), n, err)
			}
		}
	})
}

// BenchmarkStoreOpen is what a start does with the store before its first
// frame: open it, count, read the first page, close.
func BenchmarkStoreOpen(b *testing.B) {
	eachHistory(b, nil, func(b *testing.B, bs *benchStore) {
		getenv := func(k string) string { return bs.env[k] }
		for b.Loop() {
			st, err := session.OpenStore(bs.url, getenv)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.Counts(bctx, "", time.Now()); err != nil {
				b.Fatal(err)
			}
			if _, err := st.List(bctx, session.Query{Limit: 50}); err != nil {
				b.Fatal(err)
			}
			st.Close()
		}
	})
}

// BenchmarkStoreFilter is a filter keystroke: the first page of matches
// and how many there are (up to 1000). "hit" is a customer id being
// typed, "miss" a word nothing has, "short" two letters (no index).
func BenchmarkStoreFilter(b *testing.B) {
	for _, q := range []struct{ name, text string }{{"hit", "cust-00012"}, {"miss", "zq-nothing"}, {"two-words", "approved live"}, {"short", "zq"}} {
		b.Run(q.name, func(b *testing.B) {
			eachHistory(b, nil, func(b *testing.B, bs *benchStore) {
				for b.Loop() {
					if _, _, err := bs.st.Search(bctx, session.Query{Text: q.text, Limit: 50}, 1000); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkStoreStatus is `status ID`'s write: a status answer appended
// to a session found by id.
func BenchmarkStoreStatus(b *testing.B) {
	eachHistory(b, nil, func(b *testing.B, bs *benchStore) {
		for i := 0; b.Loop(); i++ {
			id := bs.ids[i%len(bs.ids)]
			s, err := bs.st.Get(bctx, id)
			if err != nil {
				b.Fatal(err)
			}
			if !s.Launched() {
				continue
			}
			if _, err := bs.st.Status(bctx, id, &providers.Status{State: providers.StatePending, Detail: fmt.Sprint("poll ", i)}, session.SourceAPI); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreLaunch records a launch: the intent, then the outcome.
func BenchmarkStoreLaunch(b *testing.B) {
	eachHistory(b, nil, func(b *testing.B, bs *benchStore) {
		for i := 0; b.Loop(); i++ {
			req, _ := newBenchRequest(i)
			// A new customer each time, also across -count runs: the
			// duplicate guard refuses a live launch for a pending one.
			cust := fmt.Sprint("bench-", i, "-", time.Now().UnixNano())
			s, err := bs.st.Intent(bctx, session.Intent{Provider: "idenfy", Mode: providers.ModeLive, Customer: cust,
				Values: providers.Values{"clientId": {cust}}, Request: req})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bs.st.Outcome(bctx, s.ID, session.Outcome{References: map[string]string{"scanRef": fmt.Sprint("ref-", i)},
				URL: "https://x.test/", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStoreStreamAll is `sessions --json`: every session streamed
// out as JSON. peak-heap-MB is the most heap in use while streaming.
func BenchmarkStoreStreamAll(b *testing.B) {
	eachHistory(b, []string{"100k", "1M"}, func(b *testing.B, bs *benchStore) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		peak := uint64(0)
		n := 0
		for b.Loop() {
			enc := json.NewEncoder(io.Discard)
			n = 0
			for s, err := range bs.st.All(bctx, session.Query{}) {
				if err != nil {
					b.Fatal(err)
				}
				enc.Encode(map[string]any{"session": s.ID, "provider": s.Provider, "mode": s.Mode, "url": s.URL,
					"references": s.References(), "status": s.State, "customer": s.Customer, "createdAt": s.CreatedAt})
				n++
				if n%20000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
			}
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "heap-growth-MB")
		b.ReportMetric(float64(n), "sessions")
	})
}

func newBenchRequest(i int) (*httpRequest, error) {
	return newRequest(fmt.Sprintf(`{"clientId":"bench-%d"}`, i))
}

// TestGenerateStore writes a synthetic history (the benchmarks' year of
// a busy desk, Synthesize) of $KYCDESK_GEN_SESSIONS sessions into the
// SQLite file $KYCDESK_GEN_STORE, keyed with $KYCDESK_STORE_KEY, for the
// measurements of whole processes against it (scripts/storebench.sh:
// first frame, `sessions --json`'s peak RSS). It only runs when both are
// set.
func TestGenerateStore(t *testing.T) {
	path, n := os.Getenv("KYCDESK_GEN_STORE"), os.Getenv("KYCDESK_GEN_SESSIONS")
	if path == "" || n == "" {
		t.Skip("set KYCDESK_GEN_STORE=FILE and KYCDESK_GEN_SESSIONS=N to write a synthetic store")
	}
	var count int
	if _, err := fmt.Sscan(n, &count); err != nil || count < 0 {
		t.Fatalf("KYCDESK_GEN_SESSIONS=%q", n)
	}
	st, err := session.OpenStore(path, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	synth := st.(*session.DB).Synthesize
	if os.Getenv("KYCDESK_GEN_PENDING") == "1" {
		synth = st.(*session.DB).SynthesizePending
	}
	if err := synth(context.Background(), count, time.Now()); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d sessions written to %s in %v", count, path, time.Since(start).Round(time.Millisecond))
}

// BenchmarkStoreLaunchParallel is BenchmarkStoreLaunch from 16 writers at
// once (a burst of desks): what the store's locks and commits cost when
// launches overlap (PostgreSQL: the chain's lock, the change notice).
func BenchmarkStoreLaunchParallel(b *testing.B) {
	var seq atomic.Int64
	eachHistory(b, []string{"new"}, func(b *testing.B, bs *benchStore) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := seq.Add(1)
				req, _ := newBenchRequest(int(i))
				id := fmt.Sprint("bench-p-", i, "-", time.Now().UnixNano())
				s, err := bs.st.Intent(bctx, session.Intent{Provider: "idenfy", Mode: providers.ModeLive, Customer: id,
					Values: providers.Values{"clientId": {id}}, Request: req})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bs.st.Outcome(bctx, s.ID, session.Outcome{References: map[string]string{"scanRef": "ref-" + id},
					URL: "https://x.test/", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
