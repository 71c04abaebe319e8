package server

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Removing an operator's key (or giving it to another name) ends that
// operator's open sessions with one line, tells the caller for the audit,
// and leaves the others alone.
func TestRevokedOperatorSessionEnds(t *testing.T) {
	alice, mallory, bob := newOperatorKey(t, "alice"), newOperatorKey(t, "mallory"), newOperatorKey(t, "bob")
	var mu sync.Mutex
	var revoked []string
	ts := startServerWith(t, Config{OperatorsPoll: time.Hour}, Options{OnRevoke: func(d Desk) {
		mu.Lock()
		revoked = append(revoked, d.Operator+"@"+d.Name)
		mu.Unlock()
	}}, alice, mallory, bob)
	a := connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true)
	a.waitFor(t, "operator=alice")
	m := connectDesk(t, ts.SSHAddr(), "desk-3", mallory.signer, true)
	m.waitFor(t, "operator=mallory")
	b := connectDesk(t, ts.SSHAddr(), "desk-4", bob.signer, true)
	b.waitFor(t, "operator=bob")

	// mallory is removed; bob's key now names someone else.
	renamed := bob
	renamed.line = strings.TrimSuffix(bob.line, "bob") + "robert"
	writeOperators(t, ts.operators, alice, renamed)
	ts.ReloadOperators()

	for _, c := range []*deskClient{m, b} {
		if code := c.waitEnd(t); code != 0 {
			t.Errorf("exit %d", code)
		}
		c.waitFor(t, "your operator key was removed or changed in the operators file; session closed.")
	}
	eventually(t, "both revocations reported", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(revoked) == 2
	})
	mu.Lock()
	got := strings.Join(revoked, " ")
	mu.Unlock()
	if !strings.Contains(got, "mallory@desk-3") || !strings.Contains(got, "bob@desk-4") {
		t.Errorf("revoked = %s", got)
	}
	ts.waitLog(t, "ending their session")
	// alice's desk still answers.
	a.stdin.Write([]byte("x"))
	a.waitFor(t, "keys=[x]")
}

// The poll (no SIGHUP) revokes as well.
func TestRevocationByFileChange(t *testing.T) {
	alice, mallory := newOperatorKey(t, "alice"), newOperatorKey(t, "mallory")
	ts := startServer(t, Config{OperatorsPoll: 20 * time.Millisecond}, nil, alice, mallory)
	m := connectDesk(t, ts.SSHAddr(), "desk-3", mallory.signer, true)
	m.waitFor(t, "operator=mallory")
	writeOperators(t, ts.operators, alice)
	m.waitEnd(t)
	m.waitFor(t, "your operator key was removed")
}
