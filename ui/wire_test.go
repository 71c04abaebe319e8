package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
)

const wireTitle = "Raw provider response"

func TestWTogglesTheRawResponseOnTheResultScreen(t *testing.T) {
	ctx, _ := testContext(t, startSandbox(t))
	m := New(ctx)
	send(m, size(120, 40), launchMsg{draft: ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"wire-ui-1"}, "firstName": {"Jonas"}})})
	if m.screen != screenResult {
		t.Fatalf("screen %d, want the result", m.screen)
	}
	qrView := m.View()
	if strings.Contains(qrView, wireTitle) {
		t.Fatal("the raw response shows before w")
	}
	send(m, press("?"))
	if !strings.Contains(m.View(), "raw response") {
		t.Fatalf("the help does not list w:\n%s", m.View())
	}
	send(m, press("?"), press("w"))
	v := m.View()
	token := m.result.launch.References["authToken"]
	for _, want := range []string{wireTitle, "POST /api/v2/token", "201 Created", "Content-Type: application/json", `"clientId": "wire-ui-1"`, `"authToken": "` + token + `"`} {
		if !strings.Contains(v, want) {
			t.Errorf("the raw response lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(strings.ToLower(v), "jonas") {
		t.Errorf("the sent name is shown:\n%s", v)
	}
	assertFits(t, v, 120, 40)
	// Scrolling stays in the panel; w closes it and the QR is back.
	send(m, press("down"), press("w"))
	if m.View() != qrView || m.screen != screenResult {
		t.Fatalf("w did not bring the QR back:\n%s", m.View())
	}
	// esc closes it too, without leaving the screen.
	send(m, press("w"), press("esc"))
	if m.screen != screenResult || strings.Contains(m.View(), wireTitle) {
		t.Fatal("esc did not close the raw response first")
	}
}

func TestWOnTheCodeScreenWhenNothingIsTyped(t *testing.T) {
	ctx, _ := testContext(t, startSandbox(t))
	m := New(ctx)
	send(m, size(100, 30), launchMsg{draft: ctx.Desk.Draft(ctx.entry("dws"), providers.Values{"identityValue": {"+447400123456"}})})
	if m.screen != screenResult || !m.result.isChallenge() {
		t.Fatalf("screen %d, want the code screen", m.screen)
	}
	if !strings.Contains(m.View(), "w raw response") {
		t.Fatalf("the code screen does not offer w:\n%s", m.View())
	}
	send(m, press("w"))
	v := m.View()
	for i := 0; i < 4; i++ { // the code it sent is below
		send(m, press(" "))
		v += m.View()
	}
	if !strings.Contains(v, "initAuthentication") || !strings.Contains(v, "triggerChallenge") || strings.Contains(v, "7400123456") {
		t.Fatalf("the launch's two answers, masked, are not shown:\n%s", v)
	}
	send(m, press("w"), press("1"), press("w"))
	if strings.Contains(m.View(), wireTitle) || m.result.input.Value() != "1w" { // a letter of what is typed
		t.Fatalf("w with a code typed: value %q", m.result.input.Value())
	}
}

func TestWTogglesTheRawResponseOnTheErrorScreen(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: base})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/token" {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Echo", "Jonas")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"identifier":"MISSING_PARAMETER","message":"Missing parameter","trace":"t-81f2 JONAS"}`))
			return
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, _ := testContext(t, base)
	m := New(ctx)
	send(m, size(100, 30), launchMsg{draft: ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"wire-ui-2"}, "firstName": {"Jonas"}})})
	if m.screen != screenError {
		t.Fatalf("screen %d, want the error screen", m.screen)
	}
	errView := m.View()
	if !strings.Contains(errView, "w raw response") || strings.Contains(errView, "t-81f2") {
		t.Fatalf("error screen:\n%s", errView)
	}
	send(m, press("w"))
	v := m.View()
	for _, want := range []string{wireTitle, "400 Bad Request", `"trace": "t-81f2 ` + providers.Mask + `"`, "X-Echo: " + providers.Mask} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
	assertFits(t, v, 100, 30)
	send(m, press("w"))
	if m.View() != errView {
		t.Fatal("w did not close the raw response")
	}
	// An error with no answer behind it (nothing reached the provider)
	// offers no w.
	m.errs = newErrorModel(ctx, "Launch", &providers.Error{Kind: providers.KindTransport, Message: "connection refused"}, nil)
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30}, press("w"))
	if strings.Contains(m.View(), "w raw response") || strings.Contains(m.View(), wireTitle) {
		t.Fatal("w offered without an answer")
	}
}
