package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

// Who acted at a served desk is recorded on the intent, each status, the
// resolution and each audit line, and reads back after reopening.
func TestActorRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.jsonl")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l := (&Launcher{Journal: j}).As("alice", "desk-12")
	c := newFake()
	s := mustLaunch(t, l, c, values("cust-1"))
	if _, err := j.AppendStatusBy(s.ID, &providers.Status{State: providers.StateApproved, Detail: "ok"}, "bob", "desk-3"); err != nil {
		t.Fatal(err)
	}
	if err := j.Audit(s.ID, "verify", "code entered", "bob", "desk-3"); err != nil {
		t.Fatal(err)
	}
	if err := j.Audit("nope", "verify", "", "bob", "desk-3"); err == nil {
		t.Error("an audit of an unknown session was accepted")
	}
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Unknown(504, "", "timeout", nil)
	}
	u, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("cust-2"))
	if _, err := l.Resolve(u.ID, "checked: not created"); err != nil {
		t.Fatal(err)
	}
	j.Close()

	raw, _ := os.ReadFile(path)
	for _, want := range []string{`"type":"audit"`, `"action":"verify"`, `"operator":"alice","desk":"desk-12"`, `"operator":"bob","desk":"desk-3"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("journal lacks %s:\n%s", want, raw)
		}
	}
	if n := strings.Count(string(raw), `"type":"resolved"`); n != 1 || !strings.Contains(string(raw), `"how":"checked: not created","operator":"alice"`) {
		t.Errorf("resolution not recorded with its operator:\n%s", raw)
	}

	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	got, err := j.Get(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Operator != "alice" || got.Desk != "desk-12" {
		t.Errorf("launch actor = %q/%q, want alice/desk-12", got.Operator, got.Desk)
	}
	last := got.History[len(got.History)-1]
	if last.State != providers.StateApproved || last.Operator != "bob" || last.Desk != "desk-3" {
		t.Errorf("status entry = %+v, want approved by bob at desk-3", last)
	}
	if got.History[0].Operator != "" {
		t.Errorf("the launch's own pending entry names an operator: %+v", got.History[0])
	}
	if len(j.Warnings()) > 0 {
		t.Errorf("warnings: %v", j.Warnings())
	}
}
