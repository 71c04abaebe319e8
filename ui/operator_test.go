package ui

// What an operator relies on at the console, one behaviour per test:
// keys never act behind a message, modes stay apart, sessions close out
// with a reason, quitting asks before losing work, guidance after a
// result.

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
)

// While "too small" shows, keys do not reach the
// hidden screen (two enters at 50×12 launched a session unseen).
func TestTooSmallIgnoresKeys(t *testing.T) {
	url := startSandbox(t)
	ctx, j := testContext(t, url)
	m := New(ctx)
	send(m, size(50, 12), press("7"), press("enter"), press("enter"))
	if m.screen != screenHome || len(j.Sessions()) != 0 {
		t.Fatalf("keys acted behind the too-small message: screen %v, %d sessions", m.screen, len(j.Sessions()))
	}
	send(m, size(80, 24), press("7"), size(50, 12), press("x"), size(80, 24))
	if m.screen != screenForm || m.form.form.Values().Has("clientId") {
		t.Fatalf("a letter typed behind the message reached the form: %v", m.form.form.Values())
	}
	// ctrl+c still quits.
	send(m, size(50, 12))
	if _, cmd := m.Update(press("ctrl+c")); cmd == nil {
		t.Fatal("ctrl+c does nothing while the window is too small")
	}
}

// A live console does not list sandbox sessions unless asked
// (m), marks the mode on each row, and a sandbox QR opened from it is
// marked SANDBOX under the LIVE banner.
func TestLiveConsoleHidesAndMarksSandboxSessions(t *testing.T) {
	url := startSandbox(t)
	sbx, j := testContext(t, url)
	o, err := sbx.Desk.Launch(context.Background(), sbx.Desk.Draft(sbx.entry("idenfy"), providers.Values{"clientId": {"sbx-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	live := &Context{Desk: testDesk(t, providers.ModeLive, url, j), Copy: sbx.Copy, Open: sbx.Open}
	m := New(live)
	send(m, size(120, 30))
	if strings.Contains(m.View(), o.ID) {
		t.Fatalf("a live console's home lists a sandbox session:\n%s", m.View())
	}
	send(m, press("s"))
	if strings.Contains(m.View(), o.ID) {
		t.Fatalf("the sessions list shows the other mode by default:\n%s", m.View())
	}
	send(m, press("m"))
	v := m.View()
	if !strings.Contains(v, o.ID) || !strings.Contains(v, "SBX") {
		t.Fatalf("m does not show the sandbox session, marked:\n%s", v)
	}
	send(m, press("enter"))
	v = m.View()
	if m.screen != screenResult || !strings.Contains(v, "LIVE") || !strings.Contains(v, "SANDBOX") {
		t.Fatalf("a sandbox QR under the LIVE banner is not marked:\n%s", v)
	}
}

// A pending session can be closed out with a reason, kept in
// its history; a session whose endpoint no longer answers is marked
// unreachable.
func TestCloseOutAndUnreachable(t *testing.T) {
	srv := httptest.NewServer(nil)
	srv.Config.Handler = sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: srv.URL})
	ctx, j := testContext(t, srv.URL)
	o, err := ctx.Desk.Launch(context.Background(), ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"gone-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close() // the sandbox that issued it is gone
	m := New(ctx)
	send(m, size(120, 30), press("s"), press("r"))
	if v := m.View(); !strings.Contains(v, "unreachable") {
		t.Fatalf("no unreachable mark:\n%s", v)
	}
	send(m, press("x"))
	if !m.sessions.Typing() {
		t.Fatal("x does not ask a reason")
	}
	// enter with no reason keeps the prompt, so that what is typed next
	// is the reason, not the list's keys (l would relaunch).
	send(m, press("enter"))
	if !m.sessions.Typing() || !strings.Contains(m.View(), "type why it is closed out") {
		t.Fatalf("enter with no reason closed the prompt:\n%s", m.View())
	}
	if s, _ := j.get(o.ID); s.Final() {
		t.Fatal("closed out with no reason")
	}
	send(m, press("q"), press("enter")) // q is text in the reason; enter closes out
	s, err := j.get(o.ID)
	if err != nil || s.State != session.StateResolved || len(s.History) == 0 || !strings.Contains(s.History[len(s.History)-1].Detail, "closed out by the operator: q") {
		t.Fatalf("not closed out with the reason: %+v (%v)", s, err)
	}
	if strings.Contains(m.View(), "unreachable") {
		t.Fatalf("a closed-out session is still marked unreachable:\n%s", m.View())
	}
}

// ? on the DWS code screen opens help instead of being typed
// into the code; esc closes help.
func TestQuestionMarkOpensHelpOnTheCodeScreenAndEscClosesIt(t *testing.T) {
	m := goldenScreens(t)["challenge"]
	send(m, size(100, 30))
	send(m, m.result.init())
	send(m, press("?"))
	if m.result.input.Value() != "" || !m.full {
		t.Fatalf("? typed %q into the code, help shown %v", m.result.input.Value(), m.full)
	}
	if !strings.Contains(m.View(), "esc or ? closes this help") {
		t.Fatalf("help does not say how it closes:\n%s", m.View())
	}
	send(m, press("esc"))
	if m.full || m.screen != screenResult {
		t.Fatal("esc did not close help (or left the screen)")
	}
	// In a text form, ? is a character.
	m2 := goldenScreens(t)["form"]
	send(m2, press("?"))
	if m2.full || m2.form.form.Values().Get("clientId") != "?" {
		t.Fatalf("? in a form field: help %v, value %q", m2.full, m2.form.form.Values().Get("clientId"))
	}
}

// Quitting with a filled form, or with a pending QR of the
// in-process sandbox, asks first.
func TestQuitAsksWhenSomethingWouldBeLost(t *testing.T) {
	quits := func(cmd tea.Cmd) bool {
		if cmd == nil {
			return false
		}
		_, ok := cmd().(tea.QuitMsg)
		return ok
	}
	m := goldenScreens(t)["form"]
	send(m, press("c-1"))
	if _, cmd := m.Update(press("ctrl+c")); quits(cmd) {
		t.Fatal("a filled form quit at once")
	}
	if !strings.Contains(m.View(), "Quit?") {
		t.Fatalf("no question:\n%s", m.View())
	}
	send(m, press("n")) // any other key stays
	if m.quitAsk != "" || m.screen != screenForm {
		t.Fatal("another key did not keep the form")
	}
	m.Update(press("ctrl+c"))
	if _, cmd := m.Update(press("ctrl+c")); !quits(cmd) {
		t.Fatal("a second ctrl+c does not quit")
	}

	url := startSandbox(t)
	ctx, j := testContext(t, url)
	ctx.Desk = testDeskWith(t, providers.ModeSandbox, url, j, func(o *desk.Options) { o.SandboxNote = "in-process sandbox" })
	r := New(ctx)
	send(r, size(80, 24))
	walkToQR(t, r)
	if _, cmd := r.Update(press("q")); quits(cmd) {
		t.Fatal("a pending in-process QR quit at once")
	}
	if !strings.Contains(r.View(), "link dies") {
		t.Fatalf("the question does not say why:\n%s", r.View())
	}
	if _, cmd := r.Update(press("y")); !quits(cmd) {
		t.Fatal("y does not quit")
	}
}

// walkToQR launches an iDenfy session through the explorer form.
func walkToQR(t *testing.T, m *Model) {
	t.Helper()
	e := m.ctx.entry("idenfy")
	send(m, launchMsg{draft: m.ctx.Desk.Draft(e, providers.Values{"clientId": {"walk-1"}})})
	if m.screen != screenResult {
		t.Fatalf("not on the QR:\n%s", m.View())
	}
}

// A QR whose URL only this machine can open says so, and how
// to run a LAN sandbox.
func TestLoopbackQRSaysAPhoneCannotOpenIt(t *testing.T) {
	url := startSandbox(t) // http://127.0.0.1:PORT
	ctx, _ := testContext(t, url)
	m := New(ctx)
	send(m, size(140, 40))
	walkToQR(t, m)
	v := m.View()
	port := url[strings.LastIndex(url, ":")+1:]
	if !strings.Contains(v, "phone cannot open it") || !strings.Contains(v, "--listen 0.0.0.0:"+port+" --public-url http://LAN-IP:"+port) {
		t.Fatalf("no loopback note naming the sandbox's port %s:\n%s", port, v)
	}
	// At 120 columns the command is one line of its own, not split.
	send(m, size(120, 40))
	if !strings.Contains(m.View(), "  kycdesk sandbox --listen 0.0.0.0:"+port+" --public-url http://LAN-IP:"+port+"\n") {
		t.Fatalf("the command is split at 120:\n%s", m.View())
	}
	// At 80x24 beside the QR the full note would be cut mid-command: its
	// short form is shown whole, before the references.
	send(m, size(80, 24))
	v = m.View()
	assertFits(t, v, 80, 24)
	if !strings.Contains(v, "Loopback URL: a phone cannot open") || !strings.Contains(v, "Demo with a") {
		t.Fatalf("no whole short loopback note at 80x24:\n%s", v)
	}
	// The in-process sandbox's port is of the moment: the default is named.
	if n := loopbackNote(url+"/x", true, false); !strings.Contains(n, "0.0.0.0:8470") {
		t.Fatal(n)
	}
	if g := goldenScreens(t)["result"]; strings.Contains(g.View(), "phone cannot open") {
		t.Fatal("a public URL is said to be loopback-only")
	}
}

// After a final result, plain-language guidance per outcome
// replaces the link's lifetime.
func TestOutcomeGuidance(t *testing.T) {
	for st, want := range map[providers.State]string{
		providers.StateApproved:  "identity is verified",
		providers.StateDenied:    "could not verify",
		providers.StateSuspected: "possible fraud",
		providers.StateExpired:   "abandoned",
		providers.StateUnknown:   "did not give a final answer",
	} {
		m := goldenScreens(t)["result"]
		send(m, size(100, 30))
		m.result.setState(&providers.Status{State: st, At: fixedNow})
		if st == providers.StateUnknown {
			m.result.launch.SingleUse = true // a single-use link whose outcome is unknown is dead
		}
		m.dirty = true
		v := m.View()
		if !strings.Contains(strings.Join(strings.Fields(v), " "), want) || strings.Contains(v, "expires in") {
			t.Errorf("%s: guidance %q missing or the lifetime still shown:\n%s", st, want, v)
		}
	}
}

// Hosted-flow hosts allowed only by configuration (allowed_url_hosts) are
// always named in the banner: a QR may then point beyond the provider's
// documented hosts.
func TestBannerNamesAllowedURLHosts(t *testing.T) {
	ctx, j := testContext(t, "http://127.0.0.1:1")
	ctx.Desk = testDeskWith(t, providers.ModeSandbox, "http://127.0.0.1:1", j, func(o *desk.Options) {
		inner := o.Resolve
		o.Resolve = func(d providers.Descriptor, mode providers.Mode, endpoint string) *desk.Provider {
			p := inner(d, mode, endpoint)
			if d.ID == "idenfy" {
				p.AllowedURLHosts = []string{"kyc.example.com"}
			}
			return p
		}
	})
	m := New(ctx)
	send(m, size(160, 40))
	if v := m.View(); !strings.Contains(v, "URL HOSTS") || !strings.Contains(v, "idenfy: kyc.example.com") {
		t.Fatalf("banner does not name the allowed hosts:\n%s", v)
	}
	plain, _ := testContext(t, "http://127.0.0.1:1")
	m = New(plain)
	send(m, size(160, 40))
	if v := m.View(); strings.Contains(v, "URL HOSTS") {
		t.Fatalf("banner names allowed hosts that no setting gave:\n%s", v)
	}
}
