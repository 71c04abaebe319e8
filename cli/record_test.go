package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/server"
	"github.com/kycdesk/kycdesk/session"
)

// A live serve without IDENFY_WEBHOOK_SIGNING_KEY, pointed at the sandbox
// as its iDenfy endpoint: anyone who knows a scanRef posts an unsigned
// webhook claiming APPROVED. Nothing is recorded from its body; kycdesk
// asks iDenfy's status API once and records what it answers, with that
// source. The start-up says so, and /metrics counts it.
func TestForgedWebhookRecordsNothingFromItsBody(t *testing.T) {
	creds := map[string]string{"IDENFY_API_KEY": "live-key", "IDENFY_API_SECRET": "live-secret-value"}
	sb := startSandbox(t, envOf(creds))
	ts := startTestServeWith(t, 0, func(env map[string]string, cfg *server.Config) {
		for k, v := range creds {
			env[k] = v
		}
		env["KYCDESK_IDENFY_URL"] = sb.URL
		cfg.Live = true
		cfg.PublicURL = "https://kyc.example.test" // a TLS-terminating proxy in front, as live callbacks need
	}, newOperator(t, "alice"))
	if !strings.Contains(ts.errb.String(), "IDENFY_WEBHOOK_SIGNING_KEY is not set") {
		t.Errorf("no warning at start:\n%s", ts.errb.String())
	}
	d := ts.newDesk("alice", "desk-1", false)
	defer d.Close()
	p, err := d.Provider("idenfy")
	if err != nil {
		t.Fatal(err)
	}
	o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"forged-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	scanRef := o.Launch.References["scanRef"]
	sent := sb.sent.Load()

	body, _ := json.Marshal(map[string]any{"scanRef": scanRef, "clientId": "forged-1", "final": true,
		"status": map[string]any{"overall": "APPROVED"}})
	resp, err := http.Post(ts.httpURL()+"/callbacks/idenfy", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the forged webhook was answered %s, want 200 (iDenfy sends customers to the failure page otherwise)", resp.Status)
	}
	ts.receiver.Wait()

	s := ts.store
	var got *session.Session
	deadline := time.Now().Add(serveWait)
	for time.Now().Before(deadline) {
		if got, err = s.Get(context.Background(), o.ID); err == nil && len(got.History) > 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.State != providers.StatePending {
		t.Fatalf("the forged approval was recorded: %s %+v", got.State, got.History)
	}
	last := got.History[len(got.History)-1]
	if len(got.History) != 2 || last.Source != session.SourceAPI || !strings.Contains(last.Detail, "iDenfy") {
		t.Errorf("history = %+v, want the launch and the status API's answer", got.History)
	}
	if n := sb.sent.Load() - sent; n != 1 {
		t.Errorf("%d requests to iDenfy after the webhook, want the one status request", n)
	}
	// The same forged webhook again at once: no second request (at most
	// one per 10 s per session), nothing recorded.
	resp, err = http.Post(ts.httpURL()+"/callbacks/idenfy", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ts.receiver.Wait()
	if n := sb.sent.Load() - sent; n != 1 {
		t.Errorf("%d requests to iDenfy after two webhooks, want 1", n)
	}
	m := metricsText(t, ts.httpURL())
	if !strings.Contains(m, `kycdesk_callbacks_refused_total{provider="idenfy",reason="unsigned"} 2`) {
		t.Errorf("/metrics does not count the unsigned webhooks:\n%s", grepLines(m, "callbacks"))
	}
	// status --json shows the source.
	r := recordJSON(got)
	if r.Source != string(session.SourceAPI) || len(r.History) != 2 || r.History[0].Source != string(session.SourceLaunch) ||
		r.History[0].By != "alice@desk-1" {
		t.Errorf("status JSON = %+v", r)
	}
}
