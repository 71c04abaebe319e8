package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/server"
	"github.com/kycdesk/kycdesk/session"
)

// startServeWith is startTestServe with a config.toml (e.g. [serve.roles]).
func startServeWith(t testing.TB, configTOML string, ops ...operator) *testServe {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"), "XDG_STATE_HOME": filepath.Join(dir, "state"),
		"HOME": dir,
	}
	getenv := func(k string) string { return env[k] }
	if err := os.MkdirAll(filepath.Join(dir, "config", "kycdesk"), 0o700); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, o := range ops {
		lines = append(lines, o.line())
	}
	if err := os.WriteFile(server.DefaultOperatorsFile(getenv), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config.DefaultPath(getenv), []byte(configTOML), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := &testServe{env: env, out: newLockedBuffer(), errb: newLockedBuffer(), done: make(chan error, 1)}
	io := &IO{Out: ts.out, Err: ts.errb, Getenv: getenv}
	f, err := config.Load(config.DefaultPath(getenv), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := server.NewFlags(flag.NewFlagSet("serve", flag.ContinueOnError)).Load(f, getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg.SSHListen, cfg.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	s, err := startServe(ctx, cfg, f, io)
	if err != nil {
		cancel()
		t.Fatalf("serve: %v\n%s", err, ts.errb.String())
	}
	ts.served = s
	go func() { ts.done <- s.wait() }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ts.done:
		case <-time.After(serveWait):
			t.Error("serve did not stop")
		}
	})
	return ts
}

// keyFile writes o's private key where OpenSSH reads it (0600).
func keyFile(t testing.TB, o operator, priv ed25519.PrivateKey) string {
	t.Helper()
	block, err := gossh.MarshalPrivateKey(priv, o.name)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), o.name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newOperatorWithKey(t testing.TB, name string) (operator, ed25519.PrivateKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return operator{name: name, signer: s}, priv
}

// tmuxDesk is the real OpenSSH client in a tmux window: what an operator
// runs at a desk.
type tmuxDesk struct {
	sock, name string
}

func openSSHDesk(t testing.TB, sshAddr, user, keyPath string) *tmuxDesk {
	t.Helper()
	for _, bin := range []string{"ssh", "tmux"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed: this test drives the real OpenSSH client in tmux", bin)
		}
	}
	_, port, _ := net.SplitHostPort(sshAddr)
	d := &tmuxDesk{sock: filepath.Join(t.TempDir(), "tmux.sock"), name: user}
	cmd := fmt.Sprintf("ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes "+
		"-o IdentitiesOnly=yes -i %s -p %s -tt %s@127.0.0.1; sleep 30", keyPath, port, user)
	tm := exec.Command("tmux", "-S", d.sock, "new-session", "-d", "-s", d.name, "-x", "100", "-y", "30", cmd)
	tm.Env = append(os.Environ(), "TERM=xterm-256color")
	if out, err := tm.CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", d.sock, "kill-server").Run() })
	return d
}

func (d *tmuxDesk) screen() string {
	out, _ := exec.Command("tmux", "-S", d.sock, "capture-pane", "-p", "-t", d.name).Output()
	return string(out)
}

func (d *tmuxDesk) waitFor(t testing.TB, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(serveWait)
	for {
		s := d.screen()
		if rx.MatchString(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the desk never showed /%s/; screen:\n%s", re, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// keys sends tmux key names (Enter, Down) or, with literal, text a key
// at a time, as a person types.
func (d *tmuxDesk) keys(t testing.TB, literal bool, keys ...string) {
	t.Helper()
	send := func(args ...string) {
		if out, err := exec.Command("tmux", append([]string{"-S", d.sock, "send-keys", "-t", d.name}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("send-keys: %v %s", err, out)
		}
		time.Sleep(30 * time.Millisecond)
	}
	for _, k := range keys {
		if !literal {
			send(k)
			continue
		}
		for _, r := range k {
			send("-l", string(r))
		}
	}
}

// seedSession records a pending sandbox session launched by who.
func seedSession(t testing.TB, st session.Store, who session.Actor, customer string) *session.Session {
	t.Helper()
	ctx := session.WithActor(context.Background(), who)
	req := httptest.NewRequest("POST", "https://provider.example.test/api/v2/token", strings.NewReader(`{"clientId":"`+customer+`"}`))
	s, err := st.Intent(ctx, session.Intent{Provider: "idenfy", Mode: providers.ModeSandbox, Endpoint: "https://provider.example.test",
		Customer: customer, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	s, err = st.Outcome(ctx, s.ID, session.Outcome{References: map[string]string{"scanRef": "ref-" + customer},
		URL: "https://provider.example.test/redirect?authToken=" + customer, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An operator sees and acts on their own desk's sessions only; a
// supervisor ([serve.roles]) sees every desk's and closes out another
// desk's session, audited with their name. Over the real ssh client.
func TestServeRolesOverSSH(t *testing.T) {
	alice, alicePriv := newOperatorWithKey(t, "alice")
	bob, _ := newOperatorWithKey(t, "bob")
	carol, carolPriv := newOperatorWithKey(t, "carol")
	ts := startServeWith(t, "[serve.roles]\nsupervisors = [\"carol\"]\n", alice, bob, carol)
	mine := seedSession(t, ts.store, session.Actor{Operator: "alice", Desk: "desk-1"}, "roles-alice")
	theirs := seedSession(t, ts.store, session.Actor{Operator: "bob", Desk: "desk-2"}, "roles-bob")
	// bob working at alice's desk launched this one: hers too (her desk).
	atHerDesk := seedSession(t, ts.store, session.Actor{Operator: "bob", Desk: "desk-1"}, "roles-bob-at-1")

	a := openSSHDesk(t, ts.srv.SSHAddr(), "desk-1", keyFile(t, alice, alicePriv))
	a.waitFor(t, `alice@desk-1`)
	a.keys(t, true, "s")
	screen := a.waitFor(t, `Your desk's sessions \(2\)`)
	if !strings.Contains(screen, mine.ID) || !strings.Contains(screen, atHerDesk.ID) || strings.Contains(screen, theirs.ID) {
		t.Errorf("alice's list:\n%s", screen)
	}
	// Nor can her desk open or close out bob's session by its id.
	d := ts.newDesk("alice", "desk-1", false)
	defer d.Close()
	if _, err := d.Session(theirs.ID); !errors.Is(err, session.ErrNotFound) || !strings.Contains(err.Error(), "another desk") {
		t.Errorf("alice opens bob's session: %v", err)
	}
	if err := d.CloseOut(theirs.ID, "not mine"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("alice closes out bob's session: %v", err)
	}
	if _, err := d.Follow(theirs.ID); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("alice follows bob's session: %v", err)
	}

	c := openSSHDesk(t, ts.srv.SSHAddr(), "desk-9", keyFile(t, carol, carolPriv))
	c.waitFor(t, `carol@desk-9`)
	c.keys(t, true, "s")
	screen = c.waitFor(t, `Sessions \(3\)`)
	for _, s := range []*session.Session{mine, theirs, atHerDesk} {
		if !strings.Contains(screen, s.ID) {
			t.Errorf("carol's list lacks %s:\n%s", s.ID, screen)
		}
	}
	// The newest first: bob's at desk-1, then bob's at desk-2.
	c.keys(t, false, "Down")
	c.keys(t, true, "x")
	c.waitFor(t, `(?i)reason|why`)
	c.keys(t, true, "customer left")
	c.keys(t, false, "Enter")
	c.waitFor(t, theirs.ID+` closed out`)

	// The board (b at home): the desks connected now, alice's in her list.
	c.keys(t, false, "Escape")
	c.waitFor(t, `Start a verification session`)
	c.keys(t, true, "b")
	screen = c.waitFor(t, `Desks connected now \(2\)`)
	for _, want := range []string{`desk-1 +alice +since \d\d:\d\d +sessions list`, `desk-9 +carol +since \d\d:\d\d +board`} {
		if !regexp.MustCompile(want).MatchString(screen) {
			t.Errorf("the board lacks /%s/:\n%s", want, screen)
		}
	}
	// alice has no board: b does nothing at her home, so the s after it
	// opens her list from home (the board has no s).
	a.keys(t, false, "Escape")
	a.waitFor(t, `Start a verification session`)
	a.keys(t, true, "b", "s")
	if s := a.waitFor(t, `Your desk's sessions`); strings.Contains(s, "Desks connected now") {
		t.Errorf("b at an operator's desk:\n%s", s)
	}

	evs, err := ts.store.History(context.Background(), theirs.ID)
	if err != nil {
		t.Fatal(err)
	}
	var audited, closed bool
	for _, e := range evs {
		switch {
		case e.Kind == session.EventAudit && e.Action == "close out":
			audited = e.Actor.Operator == "carol" && e.Actor.Desk == "desk-9" &&
				e.Detail == "by supervisor carol (launched by bob at desk-2): customer left"
			if !audited {
				t.Errorf("the audit entry: %+v", e)
			}
		case e.Kind == session.EventStatus && e.State == session.StateResolved:
			closed = e.Actor.Operator == "carol" && strings.Contains(e.Detail, "customer left")
		}
	}
	if !audited || !closed {
		t.Errorf("bob's session's history (audited %v, closed out by carol %v): %+v", audited, closed, evs)
	}
	if g, _ := ts.store.Get(context.Background(), theirs.ID); g == nil || g.State != session.StateResolved {
		t.Errorf("bob's session after the close-out: %+v", g)
	}
}

// [serve.quotas]: a desk's launch beyond its hourly limit is refused
// before anything is sent, saying which limit, its count and when it
// resets, and the refusal is audited.
func TestServeQuotaRefusesBeforeSending(t *testing.T) {
	alice, _ := newOperatorWithKey(t, "alice")
	ts := startServeWith(t, "[serve.quotas]\ndesk_per_hour = 1\noperator_per_day = 50\n", alice)
	d := ts.newDesk("alice", "desk-1", false)
	defer d.Close()
	p, err := d.Provider("idenfy")
	if err != nil {
		t.Fatal(err)
	}
	launch := func(client string) error {
		_, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {client}}))
		return err
	}
	hour := time.Now().UTC().Truncate(time.Hour)
	if err := launch("quota-1"); err != nil {
		t.Fatalf("the first launch: %v", err)
	}
	before, _ := ts.store.Count(context.Background(), session.Query{})
	err = launch("quota-2")
	pe := providers.AsError(err)
	if pe.Code != "QUOTA" || pe.Kind != providers.KindInvalid ||
		!regexp.MustCompile(`^desk desk-1 has reached its limit of 1 launches per hour \(desk_per_hour\): 1 this hour \(UTC\); it resets at \d{4}-\d\d-\d\d \d\d:00 UTC$`).MatchString(pe.Message) ||
		!strings.Contains(pe.Action, "nothing was sent") {
		if !time.Now().UTC().Truncate(time.Hour).Equal(hour) {
			t.Skip("the hour turned between the two launches")
		}
		t.Fatalf("the second launch: %+v (%v)", pe, err)
	}
	if after, _ := ts.store.Count(context.Background(), session.Query{}); after != before {
		t.Errorf("%d sessions after the refusal, %d before: something was recorded", after, before)
	}
	var n int
	if err := ts.store.(*session.DB).SQL().QueryRow(`SELECT count(*) FROM events WHERE kind = 'audit' AND operator = 'alice' AND desk = 'desk-1'
AND data LIKE '%launch refused%' AND data LIKE '%desk_per_hour%'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit entries of the refusal: %d (%v)", n, err)
	}
}

func TestServeQuotaSettingsChecked(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": dir, "HOME": dir}
	getenv := func(k string) string { return env[k] }
	os.MkdirAll(filepath.Join(dir, "kycdesk"), 0o700)
	for text, want := range map[string]string{
		"[serve.quotas]\ndesk_per_week = 3\n":   "unknown settings quotas.desk_per_week",
		"[serve.quotas]\ndesk_per_hour = -2\n":  "desk_per_hour = -2 must be 0 (no limit) or more",
		"[serve.roles]\nsupervisor = [\"x\"]\n": "unknown settings roles.supervisor",
	} {
		if err := os.WriteFile(config.DefaultPath(getenv), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := config.Load(config.DefaultPath(getenv), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = server.NewFlags(flag.NewFlagSet("serve", flag.ContinueOnError)).Load(f, getenv)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
