// Package providertest is the one test harness for providers, as
// go-github's setup(t): a provider's simulator on a loopback server, a
// client configured for it with the sandbox credentials, and a settable
// clock both share. Contract tests run it over every provider in the
// catalog.
package providertest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Clock is a settable clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Harness is one provider's client talking to its simulator.
type Harness struct {
	Desc   providers.Descriptor
	Client providers.Client
	Clock  *Clock
	URL    string
	// Hits counts the requests that reached the simulator.
	Hits *atomic.Int64
}

// Setup starts d's simulator on loopback (closed at the end of the test)
// and makes a sandbox client for it, both on one clock.
func Setup(t testing.TB, d providers.Descriptor) *Harness {
	t.Helper()
	h := &Harness{Desc: d, Clock: NewClock(), Hits: &atomic.Int64{}}
	srv := httptest.NewUnstartedServer(nil)
	h.URL = "http://" + srv.Listener.Addr().String()
	mux := http.NewServeMux()
	d.NewSimulator(providers.SimOptions{PublicURL: h.URL, Now: h.Clock.Now}).Register(mux)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Hits.Add(1)
		mux.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: h.URL,
		Credentials: d.SandboxCredentials, Now: h.Clock.Now})
	if err != nil {
		t.Fatalf("%s: %v", d.ID, err)
	}
	h.Client = c
	return h
}
