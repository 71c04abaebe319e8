package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// A --set name in the wrong case is used under its documented name, and
// stderr says so: neither refused nor silent.
func TestSetNameInOtherCaseIsNamed(t *testing.T) {
	isolate(t)
	r := run0(t, "launch", "idenfy", "--set", "clientid=x", "--dry-run")
	if !strings.Contains(r.err, "clientid: used the documented name clientId") {
		t.Errorf("stderr does not name clientId:\n%s", r.err)
	}
	if !strings.Contains(r.out, `"clientId":"x"`) {
		t.Errorf("request body lacks clientId:\n%s", r.out)
	}
}

// A name that matches nothing is refused with the closest known one.
func TestUnknownSetNameSuggestsClosest(t *testing.T) {
	isolate(t)
	r := cli(t, nil, "launch", "idenfy", "--set", "clientIdd=x", "--dry-run")
	if r.code != 2 || !strings.Contains(r.err, "clientIdd: unknown parameter; did you mean clientId?") {
		t.Errorf("exit %d, want 2 with a suggestion\n%s", r.code, r.err)
	}
}

func TestSandboxListenNonsenseIsInvalidInput(t *testing.T) {
	isolate(t)
	for _, addr := range []string{"nonsense", "127.0.0.1:99999", "127.0.0.1:http x"} {
		r := cli(t, nil, "sandbox", "--listen", addr)
		if r.code != 2 || !strings.HasPrefix(r.err, "--listen: ") {
			t.Errorf("sandbox --listen %q: exit %d, want 2\n%s", addr, r.code, r.err)
		}
	}
}

// `sessions --json` reports skipped records on stderr, as the text output does.
func TestSessionsJSONReportsSkippedRecords(t *testing.T) {
	isolate(t)
	run0(t, "launch", "idenfy", "--set", "clientId=x", "--json")
	f, err := os.OpenFile(session.DefaultPath(os.Getenv), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{\"type\":\"status\",\"id\":\"nosuch\",\"at\":\"2026-01-01T00:00:00Z\"}\n{torn")
	f.Close()
	for _, args := range [][]string{{"sessions"}, {"sessions", "--json"}} {
		r := run0(t, args...)
		if !strings.Contains(r.err, "journal:") {
			t.Errorf("kycdesk %s: no warning about skipped records on stderr:\n%s", strings.Join(args, " "), r.err)
		}
	}
}

// An intent with no answer does not claim that the request was sent.
func TestUnknownOutcomeWording(t *testing.T) {
	intentOnly := &session.Session{State: session.StateOutcomeUnknown}
	if got := describeUnlaunched(intentOnly); !strings.Contains(got, "may or may not have been sent") {
		t.Errorf("intent only: %q", got)
	}
	answered := &session.Session{State: session.StateOutcomeUnknown,
		LastError: &session.ErrorInfo{Kind: providers.KindUnknown, Message: "timeout"}}
	if got := describeUnlaunched(answered); !strings.Contains(got, "was sent but its outcome is unknown") {
		t.Errorf("answered unknown: %q", got)
	}
}
