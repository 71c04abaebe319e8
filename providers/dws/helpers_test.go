package dws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
)

func newClock() *clocktest.Clock {
	return clocktest.New(time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC))
}

type sandbox struct {
	sim    *Simulator
	srv    *httptest.Server
	client *Client
	clock  *clocktest.Clock
	logs   []string
	logMu  sync.Mutex
}

func (s *sandbox) Logs() []string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]string(nil), s.logs...)
}

// newSandbox starts the simulator behind an httptest server, optionally
// wrapped, and a sandbox-mode client pointing at it.
func newSandbox(t *testing.T, wrap func(http.Handler) http.Handler) *sandbox {
	t.Helper()
	sb := &sandbox{clock: newClock()}
	sb.sim = NewSimulator(providers.SimOptions{Now: sb.clock.Now, Logf: func(f string, a ...any) {
		sb.logMu.Lock()
		sb.logs = append(sb.logs, fmt.Sprintf(f, a...))
		sb.logMu.Unlock()
	}})
	mux := http.NewServeMux()
	sb.sim.Register(mux)
	var h http.Handler = mux
	if wrap != nil {
		h = wrap(mux)
	}
	sb.srv = httptest.NewServer(h)
	t.Cleanup(sb.srv.Close)
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: sb.srv.URL, Now: sb.clock.Now, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff = func(int) time.Duration { return time.Millisecond }
	sb.client = c
	return sb
}

// bodies returns the bodies the simulator received on paths ending with suffix.
func (s *sandbox) bodies(suffix string) []string {
	var out []string
	for _, r := range s.sim.Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			out = append(out, string(r.Body))
		}
	}
	return out
}

func vals(kv ...string) providers.Values {
	v := providers.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func asErr(t *testing.T, err error) *providers.Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error")
	}
	var pe *providers.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T is not *providers.Error: %v", err, err)
	}
	return pe
}

func launch(t *testing.T, sb *sandbox, number string) *providers.Launch {
	t.Helper()
	l, err := sb.client.Launch(context.Background(), vals(ParamIdentityValue, number))
	if err != nil {
		t.Fatalf("launch %s: %v", number, err)
	}
	return l
}
