package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
)

// countingClient counts what the console asks of a client through its
// interface.
type countingClient struct {
	providers.Client
	validations, builds int
}

func (c *countingClient) Validate(v providers.Values) []providers.FieldError {
	c.validations++
	return c.Client.Validate(v)
}

func (c *countingClient) Request(ctx context.Context, v providers.Values) (*http.Request, error) {
	c.builds++
	return c.Client.Request(ctx, v)
}

// From the form's enter to the result screen, the console validates the
// values once and builds the request once (it was 3 and 3 before the desk).
func TestConsoleLaunchValidatesOnceAndBuildsOnce(t *testing.T) {
	ctx, _ := testContext(t, startSandbox(t))
	e := ctx.entry("idenfy")
	c := &countingClient{Client: e.Client}
	e.Client = c
	m := New(ctx)
	send(m, size(100, 30))
	f := newForm(ctx, e, nil, "", nil)
	send(m, f.completeWith(providers.Values{"clientId": {"c-1"}})())
	if m.screen != screenReview {
		t.Fatalf("screen %d, want review", m.screen)
	}
	send(m, press("enter"))
	if m.screen != screenResult {
		t.Fatalf("screen %d, want result:\n%s", m.screen, m.View())
	}
	if c.validations != 1 || c.builds != 1 {
		t.Errorf("validations %d, builds %d per launch, want 1 and 1", c.validations, c.builds)
	}
}

// The console launches a DWS session with its code already sent and
// recorded: the result screen does not send another.
func TestConsoleDWSLaunchRecordsTheCodeSent(t *testing.T) {
	ctx, j := testContext(t, startSandbox(t))
	m := New(ctx)
	send(m, size(100, 30))
	dr := ctx.Desk.Draft(ctx.entry("dws"), providers.Values{"identityValue": {"+447400123456"}})
	send(m, launchMsg{draft: dr})
	if m.screen != screenResult || m.result.triggering {
		t.Fatalf("screen %d, triggering %v:\n%s", m.screen, m.result.triggering, m.View())
	}
	s, err := j.get(m.result.sessionID)
	if err != nil || s.Challenge == nil || !s.Challenge.Triggered {
		t.Fatalf("the store does not record the code as sent: %+v (%v)", s, err)
	}
	if !m.result.launch.Challenge.Triggered || !strings.Contains(m.View(), "code") {
		t.Errorf("the result screen does not know the code was sent:\n%s", m.View())
	}
}

// r on the sessions screen asks the sandbox the session was launched at,
// not the console's current one.
func TestSessionsRefreshAsksTheSessionsOwnSandbox(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: url})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); h.ServeHTTP(w, r) })
	srv.Start()
	t.Cleanup(srv.Close)

	j := newTestStore(t)
	first := testDesk(t, providers.ModeSandbox, url, j)
	o, err := first.Launch(context.Background(), first.Draft(first.Lookup("idenfy"), providers.Values{"clientId": {"r-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	// Today's console uses another sandbox, where nothing listens.
	ctx := &Context{Desk: testDesk(t, providers.ModeSandbox, "http://127.0.0.1:1", j)}
	m := New(ctx)
	send(m, size(100, 30), showSessionsMsg{})
	before := hits.Load()
	send(m, press("r"))
	if hits.Load() == before || !strings.Contains(m.sessions.flash, o.ID+" is pending") {
		t.Fatalf("r did not ask the session's own sandbox (flash %q)", m.sessions.flash)
	}
}
