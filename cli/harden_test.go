package cli

import (
	"os"
	"path/filepath"
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

// The journal of an earlier release is imported on first use, and the
// lines it skipped are reported on stderr by `sessions`, as text or JSON.
func TestSessionsReportSkippedJournalLines(t *testing.T) {
	for _, args := range [][]string{{"sessions"}, {"sessions", "--json"}} {
		isolate(t)
		dir := filepath.Join(os.Getenv("XDG_STATE_HOME"), "kycdesk")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		journal := `{"type":"intent","id":"1ngt0001","at":"2026-03-01T10:00:00.000Z","provider":"idenfy","mode":"sandbox","customer":"old-desk-1","attempt":1}` + "\n" +
			`{"type":"status","id":"nosuch","at":"2026-01-01T00:00:00Z","status":"approved"}` + "\n{torn"
		if err := os.WriteFile(filepath.Join(dir, "sessions.jsonl"), []byte(journal), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run0(t, args...)
		if !strings.Contains(r.err, "store: imported 1 sessions") || !strings.Contains(r.err, "incomplete") {
			t.Errorf("kycdesk %s: no warning about skipped lines on stderr:\n%s", strings.Join(args, " "), r.err)
		}
		if !strings.Contains(r.out, "1ngt0001") {
			t.Errorf("kycdesk %s: the imported session is not listed:\n%s", strings.Join(args, " "), r.out)
		}
		if _, err := os.Stat(filepath.Join(dir, "sessions.jsonl.imported")); err != nil {
			t.Errorf("the journal was not renamed: %v", err)
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

// --from reads only a small regular file: a device or a FIFO is refused
// at once, as key files are.
func TestFromFileIsBounded(t *testing.T) {
	isolate(t)
	r := cli(t, nil, "launch", "idenfy", "--from", "/dev/zero", "--dry-run")
	if r.code != 2 || !strings.Contains(r.err, "not a regular file") {
		t.Errorf("--from /dev/zero: exit %d, want 2 naming the problem\n%s", r.code, r.err)
	}
}

// A libpq keyword string is not taken for a SQLite file name (which would
// create that file and echo its password in later messages).
func TestKeywordStoreStringRefused(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	t.Chdir(dir)
	r := cli(t, []string{"pw123SECRET"}, "sessions", "--store", "host=127.0.0.1 port=1 password=pw123SECRET")
	if r.code != 1 || !strings.Contains(r.err, "postgres://") {
		t.Errorf("exit %d, want 1 saying how to name a PostgreSQL store\n%s", r.code, r.err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files created: %v", entries)
	}
}

// Commands that take no arguments say so instead of ignoring them.
func TestUnexpectedArguments(t *testing.T) {
	isolate(t)
	for _, args := range [][]string{{"sessions", "extra"}, {"version", "extra"}} {
		if r := cli(t, nil, args...); r.code != 2 || !strings.HasPrefix(r.err, "ARGS: unexpected argument") {
			t.Errorf("kycdesk %s: exit %d, want 2\n%s", strings.Join(args, " "), r.code, r.err)
		}
	}
}
