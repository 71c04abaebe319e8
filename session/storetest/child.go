package storetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// The suite starts the test binary again to write from other processes;
// these variables tell the new process what to do.
const (
	envRole   = "KYCDESK_STORETEST_ROLE"
	envTarget = "KYCDESK_STORETEST_TARGET"
	envArg    = "KYCDESK_STORETEST_ARG"
)

const (
	writers        = 20 // processes writing at once
	writerLaunches = 5  // launches (and a status each) per writer
)

// hangGuard bounds the wait for another process, so that a broken store
// fails the test instead of hanging it. It is not a performance bound.
const hangGuard = 2 * time.Minute

// Child runs the part of a subprocess test this process was started for,
// then exits. In a process the suite did not start it returns at once.
// Call it first in the backend's TestMain.
func Child() {
	role := os.Getenv(envRole)
	if role == "" {
		return
	}
	var tg Target
	if err := json.Unmarshal([]byte(os.Getenv(envTarget)), &tg); err != nil {
		fmt.Fprintln(os.Stderr, "storetest child:", err)
		os.Exit(2)
	}
	os.Exit(runRole(role, tg, os.Getenv(envArg)))
}

func runRole(role string, tg Target, arg string) int {
	st, err := session.OpenStore(tg.URL, tg.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, role+":", err)
		return 1
	}
	waitGo := func() { bufio.NewReader(os.Stdin).ReadString('\n') }
	switch role {
	case "block":
		// Launch, and be killed while the request is out.
		c := newClient()
		c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
			fmt.Println("sending")
			select {}
		}
		_, err := (&launcher{Store: st}).Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint, values("cust-kill", "req-kill"))
		return fail(fmt.Errorf("the launch returned: %v", err))
	case "writer":
		waitGo()
		c := newClient()
		for i := range writerLaunches {
			s, err := (&launcher{Store: st}).Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint,
				values(fmt.Sprintf("cust-w%s-%d", arg, i), fmt.Sprintf("req-w%s-%d", arg, i)))
			if err != nil {
				return fail(err)
			}
			if _, err := st.Status(ctx, s.ID, &providers.Status{State: providers.StateApproved, Detail: "writer " + arg}, session.SourceAPI); err != nil {
				return fail(err)
			}
		}
		fmt.Println("ok")
	case "guard":
		waitGo()
		_, err := (&launcher{Store: st}).Launch(ctx, descriptor("fake"), newClient(), providers.ModeLive, endpoint,
			values("cust-race", "req-race-"+arg))
		switch {
		case err == nil:
			fmt.Println("launched")
		case errors.Is(err, session.ErrDuplicate):
			fmt.Println("duplicate")
		default:
			return fail(err)
		}
	case "status":
		if _, err := st.Status(ctx, arg, &providers.Status{State: providers.StateApproved, Detail: "from another process"}, session.SourceAPI); err != nil {
			return fail(err)
		}
		fmt.Println("done")
	default:
		return fail(errors.New("unknown role"))
	}
	return 0
}

type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *bytes.Buffer
}

func startChild(t testing.TB, tg Target, role, arg string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tg)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envRole+"="+role, envTarget+"="+string(b), envArg+"="+arg)
	c := &child{cmd: cmd, stderr: &bytes.Buffer{}, lines: make(chan string, 4)}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return c
}

// line is the child's next line of output; "" when it ended without one.
func (c *child) line(t testing.TB) string {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			return ""
		}
		return l
	case <-time.After(hangGuard):
		t.Fatalf("no answer from %v after %v; stderr: %s", c.cmd.Args, hangGuard, c.stderr)
		return ""
	}
}

func (c *child) wait(t testing.TB) {
	t.Helper()
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("child: %v; stderr: %s", err, c.stderr)
	}
}

// noChild explains an empty answer: the backend's TestMain lacks Child.
func noChild(t testing.TB, c *child) {
	t.Helper()
	t.Fatalf("the child process answered nothing (does the test's TestMain call storetest.Child?); stderr: %s", c.stderr)
}

func testKill(t *testing.T, tg Target) {
	c := startChild(t, tg, "block", "")
	if l := c.line(t); l != "sending" {
		noChild(t, c)
	}
	st := tg.Open(t)
	list, err := st.List(ctx, session.Query{})
	if err != nil || len(list) != 1 {
		t.Fatalf("while the request is out: %v, %v", list, err)
	}
	s := list[0]
	if !s.OutcomeUnknown() || !s.Sending(time.Now()) {
		t.Errorf("while the request is out: %+v", s)
	}
	if n, _ := st.Counts(ctx, "", time.Now()); n.Unknown != 0 || n.Pending != 1 {
		t.Errorf("counts while the request is out = %+v (being sent is not unknown yet)", n)
	}
	if err := c.cmd.Process.Kill(); err != nil { // SIGKILL: no chance to write anything
		t.Fatal(err)
	}
	c.cmd.Wait()

	st2 := tg.Open(t)
	g := get(t, st2, s.ID)
	if !g.OutcomeUnknown() || g.Launched() {
		t.Errorf("after kill -9: %+v", g)
	}
	wantKinds(t, st2, s.ID, session.EventIntent)
	if _, err := st2.Resolve(ctx, s.ID, "checked"); err == nil {
		t.Error("resolved while its sender's deadline has not passed")
	}
	// Once the dead sender's deadline has passed, the outcome is unknown:
	// counted, and retried with the identical request.
	later := g.SendingUntil.Add(time.Second)
	if n, _ := st2.Counts(ctx, "", later); n.Unknown != 1 {
		t.Errorf("counts after the deadline = %+v", n)
	}
	l := &launcher{Store: st2, Now: func() time.Time { return later }}
	r, err := l.Retry(ctx, g, newClient(), values("cust-kill", "req-kill"))
	if err != nil || r.State != providers.StatePending || r.Attempts != 2 {
		t.Fatalf("retry after kill -9: %+v, %v", r, err)
	}
	wantKinds(t, st2, s.ID, session.EventIntent, session.EventIntent, session.EventOutcome)
}

func testConcurrentWriters(t *testing.T, tg Target) {
	tg.Open(t).Close() // migrate once, so that the writers race on writes only
	var cs []*child
	for i := range writers {
		cs = append(cs, startChild(t, tg, "writer", fmt.Sprint(i)))
	}
	for _, c := range cs {
		io.WriteString(c.stdin, "go\n")
	}
	for _, c := range cs {
		if l := c.line(t); l != "ok" {
			t.Errorf("writer: %q; stderr: %s", l, c.stderr)
		}
		c.wait(t)
	}
	st := tg.Open(t)
	list, err := st.List(ctx, session.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != writers*writerLaunches {
		t.Fatalf("%d sessions, want %d", len(list), writers*writerLaunches)
	}
	seen := map[string]bool{}
	customers := map[string]bool{}
	for _, s := range list {
		if seen[s.ID] {
			t.Errorf("id %s twice", s.ID)
		}
		seen[s.ID] = true
		customers[s.Customer] = true
		if s.State != providers.StateApproved || len(s.History) != 2 {
			t.Errorf("%s: %s, history %v", s.ID, s.State, s.History)
		}
		wantKinds(t, st, s.ID, session.EventIntent, session.EventOutcome, session.EventStatus)
	}
	if len(customers) != writers*writerLaunches {
		t.Errorf("%d customers", len(customers))
	}
}

func testGuardAcrossProcesses(t *testing.T, tg Target) {
	tg.Open(t).Close()
	var cs []*child
	for i := range writers {
		cs = append(cs, startChild(t, tg, "guard", fmt.Sprint(i)))
	}
	for _, c := range cs {
		io.WriteString(c.stdin, "go\n")
	}
	var answers []string
	for _, c := range cs {
		answers = append(answers, c.line(t))
		c.wait(t)
	}
	slices.Sort(answers)
	if n := strings.Count(strings.Join(answers, ","), "launched"); n != 1 || strings.Count(strings.Join(answers, ","), "duplicate") != writers-1 {
		t.Errorf("answers = %v, want one launch and %d duplicates", answers, writers-1)
	}
	if n, _ := tg.Open(t).Count(ctx, session.Query{Mode: providers.ModeLive}); n != 1 {
		t.Errorf("%d live sessions, want 1", n)
	}
}

func testChangeFeed(t *testing.T, tg Target) {
	st := tg.Open(t)
	a := launch(t, st, newClient(), values("cust-feed", "req-feed"))
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes, err := st.Subscribe(sctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor := func(id string) {
		t.Helper()
		deadline := time.After(hangGuard)
		for {
			select {
			case ch, ok := <-changes:
				if !ok {
					t.Fatal("the feed closed")
				}
				if slices.Contains(ch.IDs, id) {
					return
				}
			case <-deadline:
				t.Fatalf("the change of %s never came", id)
			}
		}
	}
	c := startChild(t, tg, "status", a.ID)
	if l := c.line(t); l != "done" {
		noChild(t, c)
	}
	c.wait(t)
	waitFor(a.ID)
	if g := get(t, st, a.ID); g.State != providers.StateApproved || g.History[len(g.History)-1].Detail != "from another process" {
		t.Errorf("after the other process's change: %+v", g)
	}
	// This process's own changes come too, through another handle.
	b := launch(t, tg.Open(t), newClient(), values("cust-feed2", "req-feed2"))
	waitFor(b.ID)
	cancel()
	for range changes { // closed when the context ends
	}
}

// testChangeFeedNamesEvents: a change the feed names (Change.Seqs) is
// named right: the session's last event as the store returned it; a
// store names at least its own writes, and a change it cannot name is
// not named (0), never named wrong.
func testChangeFeedNamesEvents(t *testing.T, tg Target) {
	st, other := tg.Open(t), tg.Open(t)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes, err := st.Subscribe(sctx)
	if err != nil {
		t.Fatal(err)
	}
	// seqs waits for a change naming or not naming each of ids, and
	// returns what the feed said of each, the last change of it first.
	seqs := func(ids ...string) map[string]int64 {
		t.Helper()
		got := map[string]int64{}
		deadline := time.After(hangGuard)
		for len(got) < len(ids) {
			select {
			case ch, ok := <-changes:
				if !ok {
					t.Fatal("the feed closed")
				}
				for i, id := range ch.IDs {
					if slices.Contains(ids, id) {
						got[id] = ch.SeqOf(i)
					}
				}
			case <-deadline:
				t.Fatalf("the changes of %v never all came: %v", ids, got)
			}
		}
		return got
	}
	s := launch(t, st, newClient(), values("cust-seq1", "req-seq1"))
	for { // its intent's change may come first, then its outcome's
		got := seqs(s.ID)[s.ID]
		if got == 0 || got > s.Seq() {
			t.Fatalf("own launch named %d, its last event is %d", got, s.Seq())
		}
		if got == s.Seq() {
			break
		}
	}
	g, err := st.Status(ctx, s.ID, &providers.Status{State: providers.StateApproved, Detail: "OK"}, session.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(s.ID)[s.ID]; got != g.Seq() {
		t.Errorf("own status named %d, want %d", got, g.Seq())
	}
	o := launch(t, other, newClient(), values("cust-seq2", "req-seq2"))
	for {
		got := seqs(o.ID)[o.ID]
		if got == 0 || got == o.Seq() {
			break // not named, or named right (its outcome)
		}
		if got > o.Seq() {
			t.Fatalf("another store's launch named %d, its last event is %d", got, o.Seq())
		}
	}
	if s.Seq() == 0 || g.Seq() <= s.Seq() || o.Seq() <= g.Seq() {
		t.Errorf("sessions' last events out of order: %d, %d, %d", s.Seq(), g.Seq(), o.Seq())
	}
}
