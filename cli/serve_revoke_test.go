package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/server"
)

// Removing an operator from the operators file ends their open desk with
// one line and records the revocation in the audit trail.
func TestServeRevocationEndsDeskAndIsAudited(t *testing.T) {
	alice, mallory := newOperator(t, "alice"), newOperator(t, "mallory")
	ts := startTestServe(t, 0, alice, mallory)
	m := openDeskTerm(t, ts.srv.SSHAddr(), "desk-3", mallory, 100, 30)
	m.waitFor(t, "mallory")
	getenv := func(k string) string { return ts.env[k] }
	if err := os.WriteFile(server.DefaultOperatorsFile(getenv), []byte(alice.line()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts.srv.ReloadOperators()
	m.waitFor(t, "your operator key was removed or changed in the operators file; session closed")
	eventually(t, "the revocation is in the audit", func() bool {
		evs, err := ts.store.History(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Action == "revoked" && e.Actor.Operator == "mallory" && e.Actor.Desk == "desk-3" && strings.Contains(e.Detail, "SHA256:") {
				return true
			}
		}
		return false
	})
}

// eventually polls cond until it holds, within serveWait.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(serveWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
