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

// flakySandbox is the sandbox behind a front that answers the first n token
// requests with 503, as an overloaded provider would: the outcome of those
// launches is unknown.
func flakySandbox(t *testing.T, n int32) (string, *atomic.Int32) {
	t.Helper()
	var failed, tokens atomic.Int32
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/token" {
			tokens.Add(1)
			if failed.Load() < n {
				failed.Add(1)
				http.Error(w, "upstream overloaded", http.StatusServiceUnavailable)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	h = sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: srv.URL})
	t.Cleanup(srv.Close)
	return srv.URL, &tokens
}

func TestUnknownOutcomeRetriedFromTheErrorScreen(t *testing.T) {
	url, tokens := flakySandbox(t, 1)
	ctx, j := testContext(t, url)
	m := New(ctx)
	send(m, size(100, 30))
	walkIdenfy(t, m, "retry-1")
	send(m, press("enter"))
	if m.screen != screenError || !strings.Contains(m.View(), "Outcome unknown") {
		t.Fatalf("a 503 is not shown as outcome unknown:\n%s", m.View())
	}
	if list := j.Sessions(); len(list) != 1 || !list[0].OutcomeUnknown() {
		t.Fatalf("the store does not keep the unknown outcome: %+v", list)
	}
	send(m, press("r"))
	if m.screen != screenResult {
		t.Fatalf("retry did not reach the result:\n%s", m.View())
	}
	if list := j.Sessions(); len(list) != 1 || !list[0].Launched() {
		t.Fatalf("retry made %d sessions (want the same one, launched)", len(list))
	}
	if tokens.Load() != 2 {
		t.Fatalf("%d token requests, want 2", tokens.Load())
	}
}

func TestUnknownOutcomeResumedAfterARestart(t *testing.T) {
	url, _ := flakySandbox(t, 1)
	ctx, j := testContext(t, url)
	m := New(ctx)
	send(m, size(100, 30))
	walkIdenfy(t, m, "resume-1")
	send(m, press("enter"))
	if m.screen != screenError {
		t.Fatal("expected the unknown outcome")
	}

	// A new console on the same store: home says there is something to resume.
	m2 := New(ctx)
	send(m2, size(100, 30))
	if !strings.Contains(m2.View(), "1 session(s) with an unknown outcome") {
		t.Fatalf("home does not mention the unknown outcome:\n%s", m2.View())
	}
	send(m2, press("s"))
	if m2.screen != screenSessions || !strings.Contains(m2.View(), "outcome unknown") {
		t.Fatalf("sessions list:\n%s", m2.View())
	}
	send(m2, press("u"))
	if m2.screen != screenForm || m2.form.retryOf == "" {
		t.Fatalf("u did not open the form to resume:\n%s", m2.View())
	}
	for i := 0; i < 14 && m2.screen == screenForm; i++ {
		send(m2, press("enter"))
	}
	if m2.screen != screenReview || !strings.Contains(m2.View(), "Resuming session") {
		t.Fatalf("review does not say it resumes:\n%s", m2.View())
	}
	send(m2, press("enter"))
	if m2.screen != screenResult {
		t.Fatalf("resume did not launch:\n%s", m2.View())
	}
	if list := j.Sessions(); len(list) != 1 || !list[0].Launched() {
		t.Fatalf("resume made %d sessions", len(list))
	}
}

func TestRelaunchDropsGeneratedIDs(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	e := ctx.entry("alibaba")
	v := withoutGenerated(e, providers.Values{"MerchantBizId": {"abc"}, "DocType": {"01000000"}})
	if v.Has("MerchantBizId") || !v.Has("DocType") {
		t.Fatalf("relaunch values: %v", v)
	}
}

func TestSearchByTheTypedAlibabaUserID(t *testing.T) {
	url := startSandbox(t)
	ctx, _ := testContext(t, url)
	e := ctx.entry("alibaba")
	dr := ctx.Desk.Draft(e, providers.Values{"MerchantUserId": {"walk-in-42"}, "DocType": {"01000000"}})
	if _, err := ctx.Desk.Launch(context.Background(), dr); err != nil {
		t.Fatal(err)
	}
	rows, _ := ctx.Desk.Sessions("walk-in-42", 10)
	if len(rows) != 1 || rows[0].Provider != "alibaba" {
		t.Fatalf("searching the typed user id found %d sessions", len(rows))
	}
}
