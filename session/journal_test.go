package session

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// comparable dereferences sessions so that they can be compared.
func comparable(ss []*Session) []Session {
	out := make([]Session, len(ss))
	for i, s := range ss {
		out[i] = *s
	}
	return out
}

// fileLines returns the journal's lines and fails on any that is not a
// JSON object, except the ones listed in allowBad.
func fileLines(t *testing.T, path string, allowBad int) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("journal does not end with a newline")
	}
	var lines []string
	bad := 0
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			bad++
			continue
		}
		lines = append(lines, l)
	}
	if bad != allowBad {
		t.Errorf("%d lines are not JSON, want %d", bad, allowBad)
	}
	return lines
}

func TestRoundTrip(t *testing.T) {
	path, j := tempJournal(t)
	clock := newClock()
	j.Now = clock.Now
	l := &Launcher{Journal: j, Now: clock.Now}
	c := newFake()

	ok := mustLaunch(t, l, c, values("client-1"))
	if ok.State != providers.StatePending || !ok.Launched() || ok.URL == "" || ok.References()["scanRef"] == "" {
		t.Fatalf("launched session: %+v", ok)
	}
	if refs := ok.References(); len(refs) != 2 || ok.Reference() != refs["authToken"] || refs["authToken"] == "" {
		t.Fatalf("references %v, shown %q", refs, ok.Reference())
	}
	ok.References()["scanRef"] = "changed"
	if ok.References()["scanRef"] == "changed" {
		t.Fatal("References shares its map")
	}
	if ok.Challenge == nil || ok.Challenge.SandboxCode != "" || ok.Challenge.RenderValue != "****5678" {
		t.Fatalf("challenge: %+v", ok.Challenge)
	}
	clock.Advance(time.Minute)
	if _, err := j.AppendStatus(ok.ID, &providers.Status{State: providers.StateApproved, Detail: "all checks passed"}); err != nil {
		t.Fatal(err)
	}

	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Rejected(400, "INVALID_CLIENT", "client refused", "fix the client id")
	}
	rej, err := l.Launch(context.Background(), testDescriptor(), c, providers.ModeLive, c.endpoint, values("client-2"))
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Kind != providers.KindRejected {
		t.Fatalf("rejected launch: err %v", err)
	}
	if rej == nil || rej.State != StateFailed || rej.LastError == nil || rej.LastError.Code != "INVALID_CLIENT" {
		t.Fatalf("rejected session: %+v", rej)
	}

	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Unknown(504, "", "gateway timeout", nil)
	}
	unk, err := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("client-3"))
	if providers.AsError(err).Kind != providers.KindUnknown || unk == nil || !unk.OutcomeUnknown() {
		t.Fatalf("unknown launch: %v %+v", err, unk)
	}
	unk2, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("client-4"))
	if _, err := l.Resolve(unk2.ID, "checked: not created"); err != nil {
		t.Fatal(err)
	}

	before := j.Sessions()
	if len(before) != 4 || before[0].ID != unk2.ID || before[3].ID != ok.ID {
		t.Fatalf("sessions not newest first: %v", ids(before))
	}
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	after := j2.Sessions()
	if !reflect.DeepEqual(comparable(before), comparable(after)) {
		t.Fatalf("reopened journal differs:\nbefore %+v\nafter  %+v", comparable(before), comparable(after))
	}
	if j2.Torn() != 0 || len(j2.Warnings()) != 0 {
		t.Fatalf("torn %d warnings %v", j2.Torn(), j2.Warnings())
	}
	got, _ := j2.Get(ok.ID)
	if got.State != providers.StateApproved || len(got.History) != 2 || got.History[1].Detail != "all checks passed" {
		t.Fatalf("history: %+v", got.History)
	}
	if !got.CreatedAt.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("created at %v", got.CreatedAt)
	}
	if got, _ := j2.Get(unk2.ID); got.State != StateResolved || got.Resolution != "checked: not created" {
		t.Fatalf("resolved: %+v", got)
	}
	if u := j2.Unresolved(); len(u) != 1 || u[0].ID != unk.ID {
		t.Fatalf("unresolved: %v", ids(u))
	}
	if l := got.Launch(); l == nil || l.URL != got.URL || l.References["scanRef"] != got.References()["scanRef"] {
		t.Fatalf("Launch(): %+v", l)
	}
	lines := fileLines(t, path, 0)
	if len(lines) != 10 { // 4 intents, 4 outcomes, 1 status, 1 resolution
		t.Fatalf("%d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

func ids(ss []*Session) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func TestTornLastLine(t *testing.T) {
	path, j := tempJournal(t)
	l := &Launcher{Journal: j}
	c := newFake()
	a := mustLaunch(t, l, c, values("client-a"))
	j.Close()

	// A crash in the middle of an append leaves half a line.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"type":"status","id":"` + a.ID + `","at":"2026-03-01T10:`)
	f.Close()

	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if j2.Torn() != 1 || len(j2.Warnings()) != 1 || !strings.Contains(j2.Warnings()[0], "incomplete") {
		t.Fatalf("torn %d, warnings %q", j2.Torn(), j2.Warnings())
	}
	if s, err := j2.Get(a.ID); err != nil || s.State != providers.StatePending {
		t.Fatalf("session before the torn line: %v %+v", err, s)
	}
	// The next appends work and start on a line of their own.
	b := mustLaunch(t, &Launcher{Journal: j2}, c, values("client-b"))
	if _, err := j2.AppendStatus(a.ID, &providers.Status{State: providers.StateDenied, Detail: "document expired"}); err != nil {
		t.Fatal(err)
	}
	lines := fileLines(t, path, 1)
	if len(lines) != 5 {
		t.Fatalf("%d good lines", len(lines))
	}
	j3, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j3.Close()
	if j3.Torn() != 1 || j3.Len() != 2 {
		t.Fatalf("reopened: torn %d, %d sessions", j3.Torn(), j3.Len())
	}
	if s, _ := j3.Get(a.ID); s.State != providers.StateDenied {
		t.Fatalf("a: %s", s.State)
	}
	if s, _ := j3.Get(b.ID); s.State != providers.StatePending {
		t.Fatalf("b: %s", s.State)
	}
}

func TestTornLineSeenByReload(t *testing.T) {
	path, j := tempJournal(t)
	mustLaunch(t, &Launcher{Journal: j}, newFake(), values("client-a"))
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"type":"intent","id":"zz`)
	f.Close()
	if _, err := j.Reload(); err != nil {
		t.Fatal(err)
	}
	if j.Torn() != 1 {
		t.Fatalf("torn %d", j.Torn())
	}
	mustLaunch(t, &Launcher{Journal: j}, newFake(), values("client-b"))
	fileLines(t, path, 1)
	if j.Len() != 2 {
		t.Fatal(j.Len())
	}
}

func TestFileMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kycdesk")
	path := filepath.Join(dir, "sessions.jsonl")
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	mustLaunch(t, &Launcher{Journal: j}, newFake(), values("client-a"))
	j.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %04o", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %04o", fi.Mode().Perm())
	}
	// A looser mode is fixed, with a warning.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	j, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode not fixed: %04o", fi.Mode().Perm())
	}
	if w := j.Warnings(); len(w) != 1 || !strings.Contains(w[0], "0644") {
		t.Fatalf("warnings %q", w)
	}
	if j.Len() != 1 {
		t.Fatal(j.Len())
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/x/state")
	if p := DefaultPath(nil); p != "/x/state/kycdesk/sessions.jsonl" {
		t.Fatal(p)
	}
	t.Setenv("XDG_STATE_HOME", "relative/ignored")
	t.Setenv("HOME", "/home/op")
	if p := DefaultPath(nil); p != "/home/op/.local/state/kycdesk/sessions.jsonl" {
		t.Fatal(p)
	}
	if _, err := Open(""); err == nil {
		t.Fatal("Open(\"\") succeeded")
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	path, j := tempJournal(t)
	l := &Launcher{Journal: j}
	c := newFake()
	const workers, each = 8, 15
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s, err := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint,
					values(fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := j.AppendStatus(s.ID, &providers.Status{State: providers.StateApproved}); err != nil {
					t.Error(err)
				}
				_ = j.Sessions()
				_ = j.Filter("approved")
			}
		}()
	}
	wg.Wait()
	checkAll(t, path, workers*each, providers.StateApproved)
}

func TestTwoJournalsOneFile(t *testing.T) {
	path, j1 := tempJournal(t)
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	c := newFake()
	const each = 40
	var wg sync.WaitGroup
	for n, j := range []*Journal{j1, j2} {
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := &Launcher{Journal: j}
				for i := 0; i < each; i++ {
					s, err := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint,
						values(fmt.Sprintf("j%d-g%d-%d", n, g, i)))
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := j.AppendStatus(s.ID, &providers.Status{State: providers.StateDenied, Detail: "x"}); err != nil {
						t.Error(err)
					}
					if i%10 == 0 {
						if _, err := j.Reload(); err != nil {
							t.Error(err)
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, j := range []*Journal{j1, j2} {
		if _, err := j.Reload(); err != nil {
			t.Fatal(err)
		}
		if j.Len() != 4*each {
			t.Fatalf("journal sees %d sessions, want %d", j.Len(), 4*each)
		}
	}
	if !reflect.DeepEqual(comparable(j1.Sessions()), comparable(j2.Sessions())) {
		t.Fatal("the two journals disagree after Reload")
	}
	checkAll(t, path, 4*each, providers.StateDenied)
}

// TestTwoProcessesOneFile has two child processes and this one append to
// one journal at the same time.
func TestTwoProcessesOneFile(t *testing.T) {
	if os.Getenv("KYCDESK_SESSION_WRITER") != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "sessions.jsonl")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	const each = 40
	var cmds []*exec.Cmd
	for i := 0; i < 2; i++ {
		cmd := exec.Command(exe, "-test.run=^TestChildWriter$")
		cmd.Env = append(os.Environ(), "KYCDESK_SESSION_WRITER="+path, fmt.Sprintf("KYCDESK_SESSION_WRITER_NAME=p%d", i))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	writeSessions(t, path, "parent", each)
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	checkAll(t, path, 3*each, providers.StateApproved)
}

// TestChildWriter runs in TestTwoProcessesOneFile's children.
func TestChildWriter(t *testing.T) {
	path := os.Getenv("KYCDESK_SESSION_WRITER")
	if path == "" {
		t.Skip("only as TestTwoProcessesOneFile's child")
	}
	writeSessions(t, path, os.Getenv("KYCDESK_SESSION_WRITER_NAME"), 40)
}

func writeSessions(t *testing.T, path, name string, n int) {
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	l, c := &Launcher{Journal: j}, newFake()
	for i := 0; i < n; i++ {
		s := mustLaunch(t, l, c, values(fmt.Sprintf("%s-%d", name, i)))
		if _, err := j.AppendStatus(s.ID, &providers.Status{State: providers.StateApproved}); err != nil {
			t.Fatal(err)
		}
	}
}

// checkAll reopens the journal and checks that it holds n intact sessions,
// each in state want, with unique ids, and three lines each.
func checkAll(t *testing.T, path string, n int, want providers.State) {
	t.Helper()
	lines := fileLines(t, path, 0)
	if len(lines) != 3*n {
		t.Fatalf("%d lines, want %d", len(lines), 3*n)
	}
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.Len() != n || j.Torn() != 0 || len(j.Warnings()) != 0 {
		t.Fatalf("%d sessions (want %d), torn %d, warnings %q", j.Len(), n, j.Torn(), j.Warnings())
	}
	seen := map[string]bool{}
	for _, s := range j.Sessions() {
		if seen[s.ID] {
			t.Fatalf("duplicate id %s", s.ID)
		}
		seen[s.ID] = true
		if s.State != want || s.URL == "" || len(s.History) != 2 {
			t.Fatalf("session %s: %s, %d changes", s.ID, s.State, len(s.History))
		}
	}
}

func TestReloadSeesOtherJournal(t *testing.T) {
	path, j1 := tempJournal(t)
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	c := newFake()
	s := mustLaunch(t, &Launcher{Journal: j1}, c, values("client-a"))
	if n, _ := j2.Reload(); n != 2 || j2.Len() != 1 {
		t.Fatalf("reload read %d records, %d sessions", n, j2.Len())
	}
	old, _ := j2.Get(s.ID)
	j1.AppendStatus(s.ID, &providers.Status{State: providers.StateApproved})
	if n, _ := j2.Reload(); n != 1 {
		t.Fatalf("reload read %d", n)
	}
	if n, _ := j2.Reload(); n != 0 {
		t.Fatalf("second reload read %d", n)
	}
	now, _ := j2.Get(s.ID)
	if now.State != providers.StateApproved || old.State != providers.StatePending || len(old.History) != 1 {
		t.Fatalf("snapshot changed or update missing: old %s/%d now %s", old.State, len(old.History), now.State)
	}
	// j2 appends the same status: no duplicate line.
	j2.AppendStatus(s.ID, &providers.Status{State: providers.StateApproved})
	if lines := fileLines(t, path, 0); len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
}

func TestAppendStatusOnlyOnChange(t *testing.T) {
	path, j := tempJournal(t)
	s := mustLaunch(t, &Launcher{Journal: j}, newFake(), values("client-a"))
	steps := []providers.Status{
		{State: providers.StatePending},                      // same as after launch
		{State: providers.StatePending, Detail: "in review"}, // detail changed
		{State: providers.StatePending, Detail: "in review"}, // same
		{State: providers.StateApproved, Detail: "in review"},
		{State: providers.StateApproved, Detail: "in review"},
	}
	for i := range steps {
		if _, err := j.AppendStatus(s.ID, &steps[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := j.Get(s.ID)
	if len(got.History) != 3 {
		t.Fatalf("history %+v", got.History)
	}
	if n := len(fileLines(t, path, 0)); n != 4 {
		t.Fatalf("%d lines", n)
	}
	if _, err := j.AppendStatus("zzzzzzzz", &steps[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestGet(t *testing.T) {
	_, j := tempJournal(t)
	clock := newClock()
	l := &Launcher{Journal: j, Now: clock.Now}
	c := newFake()
	a := mustLaunch(t, l, c, values("client-a"))
	b := mustLaunch(t, l, c, values("client-b")) // same second: ids share a prefix
	if a.ID == b.ID || len(a.ID) != 8 {
		t.Fatalf("ids %q %q", a.ID, b.ID)
	}
	clock.Advance(48 * time.Hour)
	d := mustLaunch(t, l, c, values("client-d"))
	if !(a.ID < d.ID && b.ID < d.ID) {
		t.Fatalf("ids not time-sorted: %s %s %s", a.ID, b.ID, d.ID)
	}
	if s, err := j.Get(strings.ToUpper(a.ID)); err != nil || s.ID != a.ID {
		t.Fatalf("exact: %v", err)
	}
	if s, err := j.Get(d.ID[:5]); err != nil || s.ID != d.ID {
		t.Fatalf("prefix: %v", err)
	}
	if _, err := j.Get(a.ID[:5]); !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), a.ID) {
		t.Fatalf("ambiguous: %v", err)
	}
	if _, err := j.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	if s, err := j.Get(b.References()["scanRef"]); err != nil || s.ID != b.ID {
		t.Fatalf("by reference: %v", err)
	}
}

func TestFilter(t *testing.T) {
	_, j := tempJournal(t)
	l := &Launcher{Journal: j}
	c := newFake()
	a := mustLaunch(t, l, c, values("Alice-01"))
	b := mustLaunch(t, l, c, values("bob-02"))
	j.AppendStatus(b.ID, &providers.Status{State: providers.StateApproved})
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Rejected(401, "AUTH_FAILED", "bad key", "check the key")
	}
	f, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("carol"))
	cases := map[string][]string{
		"":                        {f.ID, b.ID, a.ID},
		"ALICE":                   {a.ID},
		"approved":                {b.ID},
		"fake approved":           {b.ID},
		"auth_failed":             {f.ID},
		"failed":                  {f.ID},
		a.References()["scanRef"]: {a.ID},
		"pending":                 {a.ID},
		"nothing-like-it":         nil,
	}
	for q, want := range cases {
		if got := ids(j.Filter(q)); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("Filter(%q) = %v, want %v", q, got, want)
		}
	}
	// A change is seen by the next Filter.
	j.AppendStatus(a.ID, &providers.Status{State: providers.StateSuspected})
	if got := ids(j.Filter("suspected")); !reflect.DeepEqual(got, []string{a.ID}) {
		t.Errorf("after a change: %v", got)
	}
	if got := ids(j.Filter("pending")); len(got) != 0 {
		t.Errorf("stale filter text: %v", got)
	}
}

func TestDuplicateGuard(t *testing.T) {
	_, j := tempJournal(t)
	clock := newClock()
	l := &Launcher{Journal: j, Now: clock.Now}
	c := newFake()
	c.launch = func(_ context.Context, v providers.Values) (*providers.Launch, error) {
		res := okLaunch(v)
		res.ExpiresAt = clock.Now().Add(30 * time.Minute)
		return res, nil
	}
	now := clock.Now()
	if p := j.PendingFor("fake", "client-a", providers.ModeSandbox, now); len(p) != 0 {
		t.Fatal(p)
	}
	a := mustLaunch(t, l, c, values("client-a"))
	if p := j.PendingFor("fake", "client-a", providers.ModeSandbox, now); len(p) != 1 || p[0].ID != a.ID {
		t.Fatalf("pending: %v", ids(p))
	}
	for _, q := range []struct {
		provider, customer string
		mode               providers.Mode
	}{{"fake", "client-b", providers.ModeSandbox}, {"other", "client-a", providers.ModeSandbox}, {"fake", "client-a", providers.ModeLive}} {
		if p := j.PendingFor(q.provider, q.customer, q.mode, now); len(p) != 0 {
			t.Fatalf("%v: %v", q, ids(p))
		}
	}
	// expired
	if p := j.PendingFor("fake", "client-a", providers.ModeSandbox, now.Add(31*time.Minute)); len(p) != 0 {
		t.Fatalf("expired still pending: %v", ids(p))
	}
	// final
	j.AppendStatus(a.ID, &providers.Status{State: providers.StateApproved})
	if p := j.PendingFor("fake", "client-a", providers.ModeSandbox, now); len(p) != 0 {
		t.Fatalf("approved still pending: %v", ids(p))
	}
	// An unknown outcome may have created (and billed) a token: it counts.
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Unknown(0, "", "timeout", context.DeadlineExceeded)
	}
	u, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("client-a"))
	if p := j.PendingFor("fake", "client-a", providers.ModeSandbox, now); len(p) != 1 || p[0].ID != u.ID {
		t.Fatalf("unknown outcome not pending: %v", ids(p))
	}
	// A failed launch does not.
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Rejected(400, "X", "no", "")
	}
	l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("client-a"))
	if p := j.PendingFor("fake", "client-a", providers.ModeSandbox, now); len(p) != 1 {
		t.Fatalf("failed launch pending: %v", ids(p))
	}
}

func TestSessionTimes(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := &Session{State: providers.StatePending, LaunchedAt: now, ExpiresAt: now.Add(30 * time.Minute)}
	if s.TimeLeft(now) != 30*time.Minute || s.Expired(now) {
		t.Fatal(s.TimeLeft(now))
	}
	if s.TimeLeft(now.Add(time.Hour)) != 0 || !s.Expired(now.Add(30*time.Minute)) {
		t.Fatal("not expired at expiry")
	}
	s.ExpiresAt = time.Time{}
	if s.Expired(now.Add(1000*time.Hour)) || s.TimeLeft(now) != 0 {
		t.Fatal("no expiry")
	}
	s.State = providers.StateExpired
	if !s.Expired(now) || !s.Final() {
		t.Fatal("provider-expired")
	}
}

func TestKillDuringLaunch(t *testing.T) {
	if os.Getenv("KYCDESK_SESSION_CHILD") != "" {
		t.Skip("in the child")
	}
	path := filepath.Join(t.TempDir(), "sessions.jsonl")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestChildLaunch$", "-test.v")
	cmd.Env = append(os.Environ(), "KYCDESK_SESSION_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var done, sending string
	deadline := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "DONE "); ok {
			done = id
		}
		if id, ok := strings.CutPrefix(line, "SENDING "); ok {
			sending = id
			break
		}
	}
	if sending == "" {
		t.Fatal("the child never reached the request")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to write anything
		t.Fatal(err)
	}
	cmd.Wait()

	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.Len() != 2 || j.Torn() != 0 {
		t.Fatalf("%d sessions, torn %d", j.Len(), j.Torn())
	}
	if s, err := j.Get(done); err != nil || s.State != providers.StatePending {
		t.Fatalf("the completed launch: %v %+v", err, s)
	}
	s, err := j.Get(sending)
	if err != nil || !s.OutcomeUnknown() || s.Launched() || s.Values().Get("requestId") == "" {
		t.Fatalf("the killed launch: %v %+v", err, s)
	}
	if u := j.Unresolved(); len(u) != 1 || u[0].ID != sending {
		t.Fatalf("unresolved: %v", ids(u))
	}
	if n := len(fileLines(t, path, 0)); n != 3 {
		t.Fatalf("%d lines", n)
	}

	// Retrying with the same values (same idempotency id) completes it,
	// as the same session.
	c := newFake()
	full := s.Values().Clone()
	s2, err := (&Launcher{Journal: j}).Retry(context.Background(), s, c, full)
	if err != nil || s2.ID != sending || s2.State != providers.StatePending || s2.Attempts != 2 {
		t.Fatalf("retry: %v %+v", err, s2)
	}
	if j.Len() != 2 || len(j.Unresolved()) != 0 {
		t.Fatalf("after retry: %d sessions, %d unresolved", j.Len(), len(j.Unresolved()))
	}
}

// TestChildLaunch runs in the child process of TestKillDuringLaunch: one
// complete launch, then one that blocks in the request until killed.
func TestChildLaunch(t *testing.T) {
	path := os.Getenv("KYCDESK_SESSION_CHILD")
	if path == "" {
		t.Skip("only as TestKillDuringLaunch's child")
	}
	j, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l := &Launcher{Journal: j}
	c := newFake()
	s := mustLaunch(t, l, c, values("client-done"))
	fmt.Printf("DONE %s\n", s.ID)
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		// The intent is on disk: tell the parent, then hang in the request.
		last := j.Sessions()[0]
		fmt.Printf("SENDING %s\n", last.ID)
		os.Stdout.Sync()
		time.Sleep(time.Minute)
		return nil, errors.New("not killed")
	}
	v := values("client-killed")
	v.Set("requestId", "fixed-request-id-0001")
	l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, v)
	t.Fatal("the parent did not kill the child")
}
