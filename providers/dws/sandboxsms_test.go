package dws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// The sandbox says again which code it sent for an authentication (the
// newest), and nothing for one it did not send.
func TestSandboxSMSForAReopenedSession(t *testing.T) {
	sb := newSandbox(t, nil)
	l := launch(t, sb, "+44 7911 300001")
	first, err := sb.client.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	l.Challenge = first
	stored := *first
	stored.SandboxCode = "" // as the store keeps it
	l.Challenge = &stored
	ch, sentAt, err := sb.client.SandboxSMS(context.Background(), l)
	if err != nil || ch == nil || ch.SandboxCode != first.SandboxCode || !ch.CodeExpires.Equal(first.CodeExpires) || !sentAt.Equal(sb.clock.Now()) {
		t.Fatalf("SandboxSMS = %+v, %v, %v; want code %s", ch, sentAt, err, first.SandboxCode)
	}
	if l.Challenge.SandboxCode != "" {
		t.Fatal("SandboxSMS changed the launch's challenge")
	}
	other := launch(t, sb, "+44 7911 300002") // no code sent for it
	other.Challenge = &providers.Challenge{Type: "SMS", Triggered: true}
	if ch, _, err := sb.client.SandboxSMS(context.Background(), other); err != nil || ch.SandboxCode != "" {
		t.Fatalf("a code for an authentication the sandbox sent none for: %+v %v", ch, err)
	}
}

// A live client never asks: the real DWS sends the code to the phone only.
func TestSandboxSMSNeverAskedLive(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked.Add(1) }))
	defer srv.Close()
	c, err := New(providers.Config{Mode: providers.ModeLive, BaseURL: srv.URL, Timeout: time.Second,
		Credentials: map[string]string{CredClientID: "2020120400000001", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	l := &providers.Launch{Provider: "dws", References: map[string]string{VerifyFieldAuthenticationID: "a1"}, Challenge: &providers.Challenge{Triggered: true}}
	if ch, _, err := c.SandboxSMS(context.Background(), l); err != nil || ch.SandboxCode != "" || asked.Load() != 0 {
		t.Fatalf("live: %+v %v, %d requests", ch, err, asked.Load())
	}
}
