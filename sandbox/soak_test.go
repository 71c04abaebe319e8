package sandbox

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
)

// inMemory sends requests straight to a handler: no sockets, so a soak
// measures the simulators rather than the network stack.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil {
		r.Body = http.NoBody // as a server sees a request without a body
	}
	w := httptest.NewRecorder()
	m.h.ServeHTTP(w, r)
	return w.Result(), nil
}

func memClient(t testing.TB, id string, h http.Handler, clk *clocktest.Clock) providers.Client {
	d, _ := catalog.All().Get(id)
	c, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1", // never dialled: inMemory
		Credentials: d.SandboxCredentials, HTTP: &http.Client{Transport: inMemory{h}}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSoakMemoryIsFlat: 200k tokens (20k with -short or -race) through the iDenfy
// and Alibaba simulators, the clock moving 20 minutes per token so sessions
// expire: the heap at the end is within 20% of the heap after the first
// quarter (once the tables reached their steady size), and no launch is
// refused. DWS signs every answer with RSA, so it gets fewer tokens.
//
// It runs only when asked (KYCDESK_SOAK=1, which CI sets, or -run naming
// it), so that a plain `go test ./...` stays quick.
func TestSoakMemoryIsFlat(t *testing.T) {
	if os.Getenv("KYCDESK_SOAK") == "" && !strings.Contains(flag.Lookup("test.run").Value.String(), "Soak") {
		t.Skip("the soak runs when asked: KYCDESK_SOAK=1 go test ./sandbox, or -run Soak")
	}
	n := 200_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	for _, tc := range []struct {
		id string
		n  int
		v  func(i int) providers.Values
	}{
		{"idenfy", n, func(i int) providers.Values { return providers.Values{"clientId": {"soak"}} }},
		{"alibaba", n, func(i int) providers.Values {
			return providers.Values{"MerchantUserId": {"u1"}, "DocType": {"00000001"}}
		}},
		{"dws", n / 50, func(i int) providers.Values {
			return providers.Values{"identityValue": {"+447400" + pad5(i) + "1"}}
		}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			clk := clocktest.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			h := Handler(catalog.All(), Options{PublicURL: "http://127.0.0.1:8470", Now: clk.Now})
			c := memClient(t, tc.id, h, clk)
			ctx := context.Background()
			var mark uint64
			for i := range tc.n {
				if i == tc.n/4 {
					mark = heapAfterGC()
				}
				if _, err := c.Launch(ctx, c.Prepare(tc.v(i))); err != nil {
					t.Fatalf("launch %d: %v", i, err)
				}
				clk.Advance(20 * time.Minute)
			}
			end := heapAfterGC()
			t.Logf("%d tokens: heap %d KiB after a quarter, %d KiB at the end", tc.n, mark>>10, end>>10)
			if float64(end) > 1.2*float64(mark) {
				t.Fatalf("heap grew from %d to %d bytes", mark, end)
			}
		})
	}
}

func pad5(i int) string {
	const digits = "0123456789"
	b := []byte("00000")
	for j := 4; j >= 0; j-- {
		b[j] = digits[i%10]
		i /= 10
	}
	return string(b)
}

// TestSimulatorsRefuseWhenFull: with the clock stopped, a simulator holding
// MaxSessions sessions refuses the next with its provider's documented
// throttling error, and accepts again once older sessions expired.
func TestSimulatorsRefuseWhenFull(t *testing.T) {
	want := map[string]string{"idenfy": "TOO_MANY_REQUESTS", "alibaba": "Throttling.Api", "dws": "REQUEST_TRAFFIC_EXCEED_LIMIT"}
	for _, d := range catalog.All() {
		t.Run(d.ID, func(t *testing.T) {
			clk := clocktest.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
			mux := http.NewServeMux()
			d.NewSimulator(providers.SimOptions{PublicURL: "http://127.0.0.1:8470", Now: clk.Now, MaxSessions: 5}).Register(mux)
			c := memClient(t, d.ID, mux, clk)
			v := func(i int) providers.Values {
				return map[string]providers.Values{
					"idenfy":  {"clientId": {"full"}},
					"alibaba": {"MerchantUserId": {"u1"}, "DocType": {"00000001"}},
					"dws":     {"identityValue": {"+447400" + pad5(i) + "1"}},
				}[d.ID]
			}
			for i := range 5 {
				if _, err := c.Launch(context.Background(), c.Prepare(v(i))); err != nil {
					t.Fatalf("launch %d: %v", i, err)
				}
			}
			_, err := c.Launch(context.Background(), c.Prepare(v(5)))
			if e := providers.AsError(err); e == nil || e.Code != want[d.ID] {
				t.Fatalf("launch beyond the cap: %v, want %s", err, want[d.ID])
			}
			clk.Advance(31 * 24 * time.Hour)
			if _, err := c.Launch(context.Background(), c.Prepare(v(6))); err != nil {
				t.Fatalf("launch after expiry: %v", err)
			}
		})
	}
}
