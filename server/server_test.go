package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

func TestTwoOperatorsSeeTheirOwnDesks(t *testing.T) {
	alice, bob := newOperatorKey(t, "alice"), newOperatorKey(t, "Bob Martin")
	ts := startServer(t, Config{}, nil, alice, bob)

	out := ts.stdout.String()
	if !strings.Contains(out, "ssh listening on "+ts.SSHAddr()+"\n") || !strings.Contains(out, "http listening on "+ts.HTTPAddr()+"\n") {
		t.Fatalf("readiness lines: %q", out)
	}

	a := connectDesk(t, ts.SSHAddr(), "desk-12", alice.signer, true)
	b := connectDesk(t, ts.SSHAddr(), "desk-7", bob.signer, true)
	a.waitFor(t, "operator=alice desk=desk-12 size=80x24")
	b.waitFor(t, "operator=Bob Martin desk=desk-7 size=80x24")

	// Keys reach only their own desk; a resize reaches the console.
	io.WriteString(a.stdin, "xy")
	a.waitFor(t, "keys=[xy]")
	if err := b.sess.WindowChange(30, 100); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "size=100x30")
	if strings.Contains(b.out.String(), "xy") {
		t.Fatal("desk B saw desk A's keys")
	}
	if n := len(ts.Desks()); n != 2 {
		t.Fatalf("Desks() = %d, want 2", n)
	}

	ts.Broadcast(noteMsg("approved"))
	a.waitFor(t, "note:approved")
	b.waitFor(t, "note:approved")

	// q quits the console: the session ends with status 0.
	io.WriteString(a.stdin, "q")
	if code := a.waitEnd(t); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	ts.waitLog(t, "desk disconnected")
}

func TestUnlistedKeyIsRefusedAndLogged(t *testing.T) {
	alice, mallory := newOperatorKey(t, "alice"), newOperatorKey(t, "mallory")
	ts := startServer(t, Config{}, nil, alice)

	if _, err := dialDesk(ts.SSHAddr(), "desk-1", mallory.signer); err == nil {
		t.Fatal("an unlisted key got in")
	}
	logs := ts.waitLog(t, mallory.fingerprint())
	if !strings.Contains(logs, "ssh key refused") {
		t.Fatalf("refusal not logged as such:\n%s", logs)
	}
	// A second try within the window is counted, not logged again.
	if _, err := dialDesk(ts.SSHAddr(), "desk-1", mallory.signer); err == nil {
		t.Fatal("an unlisted key got in")
	}
	if n := strings.Count(ts.logs.String(), mallory.fingerprint()); n != 1 {
		t.Fatalf("refusal logged %d times, want once per window", n)
	}
	metrics := httpGet(t, "http://"+ts.HTTPAddr()+"/metrics", http.StatusOK)
	if !strings.Contains(metrics, "kycdesk_ssh_auth_refused_total 2") {
		t.Fatalf("refusals not counted:\n%s", grepLines(metrics, "refused"))
	}
	// The listed key still gets in.
	connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true).waitFor(t, "operator=alice")
}

func TestSessionWithoutTerminalGetsOneLine(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{}, nil, alice)
	c := connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, false)
	if code := c.waitEnd(t); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	<-c.done
	_, port, _ := net.SplitHostPort(ts.SSHAddr())
	if got := c.out.String(); got != "kycdesk: the console needs a terminal; connect with: ssh -t -p "+port+" desk-1@HOST\r\n" {
		t.Fatalf("output %q", got)
	}
}

func TestOperatorsFileReload(t *testing.T) {
	alice, bob := newOperatorKey(t, "alice"), newOperatorKey(t, "bob")
	ts := startServer(t, Config{OperatorsPoll: 20 * time.Millisecond}, nil, alice)

	if _, err := dialDesk(ts.SSHAddr(), "desk-2", bob.signer); err == nil {
		t.Fatal("bob got in before being listed")
	}
	writeOperators(t, ts.operators, alice, bob)
	eventually(t, "bob gets in once listed", func() bool {
		c, err := dialDesk(ts.SSHAddr(), "desk-2", bob.signer)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	writeOperators(t, ts.operators, alice)
	eventually(t, "bob is refused once removed", func() bool {
		c, err := dialDesk(ts.SSHAddr(), "desk-2", bob.signer)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true).waitFor(t, "operator=alice")
}

func TestOperatorsReloadOnSIGHUP(t *testing.T) {
	alice, bob := newOperatorKey(t, "alice"), newOperatorKey(t, "bob")
	// No poll during the test: only the signal can make bob an operator.
	ts := startServer(t, Config{OperatorsPoll: time.Hour}, nil, alice)
	writeOperators(t, ts.operators, alice, bob)
	if _, err := dialDesk(ts.SSHAddr(), "desk-2", bob.signer); err == nil {
		t.Fatal("bob got in before the reload")
	}
	p, _ := os.FindProcess(os.Getpid())
	if err := p.Signal(sighup); err != nil {
		t.Skipf("cannot signal: %v", err)
	}
	ts.waitLog(t, "SIGHUP")
	eventually(t, "bob gets in after SIGHUP", func() bool {
		c, err := dialDesk(ts.SSHAddr(), "desk-2", bob.signer)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func TestStartupErrors(t *testing.T) {
	dir := t.TempDir()
	base := Config{SSHListen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", HostKeyFile: filepath.Join(dir, "hk")}

	missing := base
	missing.OperatorsFile = filepath.Join(dir, "nope", "operators")
	if _, err := New(missing, Options{Console: echoConsole}); err == nil || !strings.Contains(err.Error(), missing.OperatorsFile) {
		t.Fatalf("missing operators file: %v", err)
	}

	bad := base
	bad.OperatorsFile = filepath.Join(dir, "operators")
	key := newOperatorKey(t, "alice")
	os.WriteFile(bad.OperatorsFile, []byte(strings.TrimSuffix(key.line, " alice")+"\n"), 0o644)
	if _, err := New(bad, Options{Console: echoConsole}); err == nil || !strings.Contains(err.Error(), "no operator name") {
		t.Fatalf("nameless key: %v", err)
	}

	noConsole := base
	noConsole.OperatorsFile = filepath.Join(dir, "ok")
	writeOperators(t, noConsole.OperatorsFile, key)
	if _, err := New(noConsole, Options{}); err == nil {
		t.Fatal("no console factory accepted")
	}

	live := noConsole
	live.Live = true
	if _, err := New(live, Options{Console: echoConsole}); err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("live without https: %v", err)
	}
}

func TestHostKeyCreatedPrivateAndReused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "host_ed25519")
	s1, created, err := loadOrCreateHostKey(path)
	if err != nil || !created {
		t.Fatalf("create: %v created=%v", err, created)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode %04o, want 0600", st.Mode().Perm())
	}
	dst, _ := os.Stat(filepath.Dir(path))
	if dst.Mode().Perm() != 0o700 {
		t.Fatalf("host key dir mode %04o, want 0700", dst.Mode().Perm())
	}
	if s1.PublicKey().Type() != "ssh-ed25519" {
		t.Fatalf("host key type %s", s1.PublicKey().Type())
	}
	s2, created, err := loadOrCreateHostKey(path)
	if err != nil || created {
		t.Fatalf("reuse: %v created=%v", err, created)
	}
	if string(s1.PublicKey().Marshal()) != string(s2.PublicKey().Marshal()) {
		t.Fatal("host key changed on restart")
	}

	// A restarted server presents the same key to desks.
	alice := newOperatorKey(t, "alice")
	ops := filepath.Join(dir, "operators")
	writeOperators(t, ops, alice)
	ts := startServer(t, Config{HostKeyFile: path, OperatorsFile: ops}, nil)
	var seen []byte
	conn, err := dialDeskHostKey(ts.SSHAddr(), alice, &seen)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if string(seen) != string(s1.PublicKey().Marshal()) {
		t.Fatal("server presented another host key")
	}

	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadOrCreateHostKey(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("group-readable host key accepted: %v", err)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{}, nil, alice)
	ts.Handle("GET /callbacks/echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "mounted") }))
	if got := httpGet(t, "http://"+ts.HTTPAddr()+"/callbacks/echo", http.StatusOK); got != "mounted" {
		t.Fatalf("mounted handler: %q", got)
	}

	var body healthBody
	json.Unmarshal([]byte(httpGet(t, "http://"+ts.HTTPAddr()+"/healthz", http.StatusOK)), &body)
	if body.Status != "ok" || len(body.Checks) != 2 {
		t.Fatalf("healthz: %+v", body)
	}
	var storeUp atomic.Bool
	ts.AddCheck("store", func(ctx context.Context) error {
		if storeUp.Load() {
			return nil
		}
		return errors.New(`dial postgres://kyc:s3cret@db:5432/kyc: connection refused`)
	})
	raw := httpGet(t, "http://"+ts.HTTPAddr()+"/healthz", http.StatusServiceUnavailable)
	if strings.Contains(raw, "s3cret") || !strings.Contains(raw, "connection refused") {
		t.Fatalf("failing healthz body: %s", raw)
	}
	storeUp.Store(true)
	httpGet(t, "http://"+ts.HTTPAddr()+"/healthz", http.StatusOK)

	m := ts.Metrics()
	m.LaunchStarted("idenfy")
	m.LaunchFinished("idenfy", "launched", 40*time.Millisecond)
	m.CallbackAccepted("idenfy")
	m.CallbackRefused("idenfy", "bad_signature")
	m.CallbackRefused("alibaba", "replayed")
	m.ProviderError("alibaba", "Throttling.Api")
	m.RateLimitWaited("alibaba", 30*time.Millisecond)
	d := connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true)
	d.waitFor(t, "operator=alice")

	text := httpGet(t, "http://"+ts.HTTPAddr()+"/metrics", http.StatusOK)
	for _, want := range []string{
		`kycdesk_launches_started_total{provider="idenfy"} 1`,
		`kycdesk_launches_finished_total{outcome="launched",provider="idenfy"} 1`,
		`kycdesk_launch_duration_seconds_bucket{provider="idenfy",le="0.05"} 1`,
		`kycdesk_callbacks_accepted_total{provider="idenfy"} 1`,
		`kycdesk_callbacks_refused_total{provider="idenfy",reason="bad_signature"} 1`,
		`kycdesk_callbacks_refused_total{provider="alibaba",reason="replayed"} 1`,
		`kycdesk_provider_errors_total{code="Throttling.Api",provider="alibaba"} 1`,
		`kycdesk_rate_limit_wait_seconds_count{provider="alibaba"} 1`,
		`kycdesk_ssh_sessions_active 1`,
		`kycdesk_ssh_sessions_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(grepLines(text, "kycdesk_"))
	}
}

func TestIdleTimeoutEndsTheSession(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{IdleTimeout: 300 * time.Millisecond}, nil, alice)
	c := connectDesk(t, ts.SSHAddr(), "desk-3", alice.signer, true)
	c.waitFor(t, "operator=alice")
	if code := c.waitEnd(t); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	<-c.done
	if !strings.Contains(c.out.String(), "no key pressed for 300ms; session closed.") {
		t.Fatalf("no idle notice:\n%q", c.out.String())
	}
	ts.waitLog(t, "why=idle")
	eventually(t, "active sessions back to 0", func() bool { return len(ts.Desks()) == 0 })
}

func TestShutdownTellsDesksAndWaitsForWork(t *testing.T) {
	alice, bob := newOperatorKey(t, "alice"), newOperatorKey(t, "bob")
	ts := startServer(t, Config{ShutdownGrace: 5 * time.Second}, nil, alice, bob)
	a := connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true)
	b := connectDesk(t, ts.SSHAddr(), "desk-2", bob.signer, true)
	a.waitFor(t, "operator=alice")
	b.waitFor(t, "operator=bob")

	// A quick launch finishes on its own; a stuck one is cancelled near the
	// end of the grace and then records its outcome. Run waits for both.
	_, quickDone, err := ts.Track(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stuckCtx, stuckDone, err := ts.Track(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var quickFinished, stuckSawCancel atomic.Bool
	go func() {
		<-a.out.wait("The server is stopping")
		quickFinished.Store(true)
		quickDone()
	}()
	go func() {
		<-stuckCtx.Done()
		stuckSawCancel.Store(true)
		stuckDone()
	}()

	if err := ts.stop(t); err != nil {
		t.Fatalf("Run returned %v, want nil", err)
	}
	if !quickFinished.Load() || !stuckSawCancel.Load() {
		t.Fatalf("quick finished=%v, stuck saw cancel=%v", quickFinished.Load(), stuckSawCancel.Load())
	}
	for _, d := range []*deskClient{a, b} {
		d.waitEnd(t)
		<-d.done
		out := d.out.String()
		if !strings.Contains(out, "The server is stopping") || !strings.Contains(out, "the server is shutting down; reconnect in a minute.") {
			t.Fatalf("desk not told:\n%q", out)
		}
	}
	if _, _, err := ts.Track(context.Background()); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("Track after shutdown: %v", err)
	}
	if _, err := dialDesk(ts.SSHAddr(), "desk-1", alice.signer); err == nil {
		t.Fatal("SSH still accepts after shutdown")
	}
}

func TestConsoleErrorIsOneLine(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{}, func(Desk) (tea.Model, []tea.ProgramOption, error) {
		return nil, nil, errors.New("store postgres://u:pw@db/kyc unreachable")
	}, alice)
	c := connectDesk(t, ts.SSHAddr(), "desk-1", alice.signer, true)
	if code := c.waitEnd(t); code != 1 {
		t.Fatalf("exit status %d", code)
	}
	<-c.done
	out := c.out.String()
	if !strings.Contains(out, "kycdesk: the console could not start: store postgres://…@db/kyc unreachable\r\n") || strings.Contains(out, "pw@") {
		t.Fatalf("output %q", out)
	}
}

func TestBadDeskNameRefused(t *testing.T) {
	alice := newOperatorKey(t, "alice")
	ts := startServer(t, Config{}, nil, alice)
	c := connectDesk(t, ts.SSHAddr(), "desk 1\x1b[31m", alice.signer, true)
	if code := c.waitEnd(t); code != 1 {
		t.Fatalf("exit status %d", code)
	}
	<-c.done
	if !strings.Contains(c.out.String(), "the SSH user names the desk") {
		t.Fatalf("output %q", c.out.String())
	}
}

// httpGet fetches url and checks the status.
func httpGet(t testing.TB, url string, want int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", url, resp.StatusCode, want, b)
	}
	return string(b)
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// eventually polls cond until it holds or the generous deadline passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}
