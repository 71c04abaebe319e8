package session_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/dws"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
)

// legacyFixture is a journal written by the JSON Lines release, which the
// stores import (session/storetest checks what it must read back).
const legacyFixture = "storetest/testdata/legacy/sessions.jsonl"

// TestWriteLegacyFixture regenerates legacyFixture with the journal code
// of this release against the built-in sandbox: all three providers,
// status answers, a failed launch, an unknown outcome retried to success,
// one resolved, one left unknown, and a torn last line. It only runs with
// KYCDESK_WRITE_LEGACY_FIXTURE=1; it goes with the journal when that is
// deleted, the committed file stays.
func TestWriteLegacyFixture(t *testing.T) {
	if os.Getenv("KYCDESK_WRITE_LEGACY_FIXTURE") != "1" {
		t.Skip("set KYCDESK_WRITE_LEGACY_FIXTURE=1 to rewrite " + legacyFixture)
	}
	reg := catalog.All()
	srv := httptest.NewServer(sandbox.Handler(reg, sandbox.Options{Env: func(string) string { return "" }}))
	defer srv.Close()

	path := filepath.Join(t.TempDir(), "sessions.jsonl")
	j, err := session.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l := &session.Launcher{Journal: j}
	ctx := context.Background()
	client := func(id string) (providers.Descriptor, providers.Client) {
		d, ok := reg.Get(id)
		if !ok {
			t.Fatalf("no provider %s", id)
		}
		c, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Credentials: d.SandboxCredentials})
		if err != nil {
			t.Fatal(err)
		}
		return d, c
	}
	launch := func(id string, v providers.Values) (*session.Session, providers.Client, providers.Values, error) {
		d, c := client(id)
		v = c.Prepare(v)
		s, err := l.Launch(ctx, d, c, providers.ModeSandbox, srv.URL, v)
		return s, c, v, err
	}
	status := func(s *session.Session, c providers.Client) {
		st, err := c.Status(ctx, s.Launch())
		if err != nil {
			t.Fatalf("status of %s: %v", s.ID, err)
		}
		if _, err := j.AppendStatus(s.ID, st); err != nil {
			t.Fatal(err)
		}
	}

	// iDenfy: personal values given (they must not be journaled), then a status.
	s, c, _, err := launch("idenfy", providers.Values{"clientId": {"desk-001"}, "firstName": {"Jonas"},
		"lastName": {"Petraitis"}, "dateOfBirth": {"1990-04-12"}})
	if err != nil {
		t.Fatal(err)
	}
	status(s, c)
	if _, err := j.AppendStatus(s.ID, &providers.Status{State: providers.StateApproved, Detail: "approved by the sandbox"}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := launch("idenfy", providers.Values{"clientId": {"desk-002"}}); err != nil {
		t.Fatal(err)
	}

	// Alibaba: the customer is recorded as the hash it sends.
	s, c, _, err = launch("alibaba", providers.Values{"MerchantUserId": {"u-1001"}, "DocType": {"01000000"}})
	if err != nil {
		t.Fatal(err)
	}
	status(s, c)

	// DWS: answered U once, which the client retries itself.
	s, c, _, err = launch("dws", providers.Values{"identityValue": {"+60 12 345 " + dws.SandboxSuffixUnknownOnce}})
	if err != nil {
		t.Fatal(err)
	}
	status(s, c)
	// DWS: refused (F PROCESS_FAIL).
	if s, _, _, err = launch("dws", providers.Values{"identityValue": {"+60 12 345 " + dws.SandboxSuffixProcessFail}}); err == nil || s.State != session.StateFailed {
		t.Fatalf("dws PF: %v", err)
	}
	// DWS: always U: one retried with the same request (still U) and
	// resolved, one left unknown.
	s, c, v, err := launch("dws", providers.Values{"identityValue": {"+60 12 345 " + dws.SandboxSuffixAlwaysUnknown}})
	if err == nil || !s.OutcomeUnknown() {
		t.Fatalf("dws U: %v", err)
	}
	if s, err = l.Retry(ctx, s, c, v); err == nil || !s.OutcomeUnknown() || s.Attempts != 2 {
		t.Fatalf("dws U retry: %v", err)
	}
	if _, err := l.Resolve(s.ID, "checked at the provider: not created"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err = launch("dws", providers.Values{"identityValue": {"+44 7400 12" + dws.SandboxSuffixAlwaysUnknown}}); err == nil {
		t.Fatal("dws U: no error")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of an append leaves a torn last line.
	data = append(data, `{"type":"intent","id":"zzzzzzzz","at":"2026-03-01T10:00:00.000Z","provider":"idenfy","mo`...)
	if err := os.MkdirAll(filepath.Dir(legacyFixture), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(legacyFixture, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes, %d sessions)", legacyFixture, len(data), j.Len())
}
