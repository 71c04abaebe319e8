package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/callbacks"
	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/clock"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/providers/idenfy"
	"github.com/kycdesk/kycdesk/sandbox"
)

// countingSandbox serves every simulator and counts iDenfy status
// requests; its callbacks can be waited for.
type countingSandbox struct {
	URL     string
	deliver *providers.Deliverer
	status  atomic.Int64
}

// testSigningKey signs the sandbox's iDenfy webhooks and is the
// receiver's key, as the console's in-process sandbox and receiver share one.
const testSigningKey = "ui-test-webhook-key"

func startCountingSandbox(t *testing.T) *countingSandbox {
	t.Helper()
	sb := &countingSandbox{deliver: &providers.Deliverer{}}
	srv := httptest.NewUnstartedServer(nil)
	sb.URL = "http://" + srv.Listener.Addr().String()
	h := sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: sb.URL, Callbacks: sb.deliver, WebhookSigningKey: testSigningKey})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == idenfy.StatusPath {
			sb.status.Add(1)
		}
		h.ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return sb
}

// followContext is a console whose desk (mode, clock now) talks to sb;
// with receive, a callback receiver runs as the console's does and the
// clients point sessions at it.
func followContext(t *testing.T, mode providers.Mode, sb *countingSandbox, now clock.Func, receive bool) (*Context, *callbacks.Receiver) {
	t.Helper()
	j := newTestStore(t)
	var target *providers.CallbackTarget
	var rsrv *httptest.Server
	if receive {
		rsrv = httptest.NewUnstartedServer(nil)
		target = &providers.CallbackTarget{BaseURL: "http://" + rsrv.Listener.Addr().String(), Key: []byte("k")}
	}
	resolve := func(d providers.Descriptor, m providers.Mode, endpoint string) *desk.Provider {
		if endpoint == "" {
			endpoint = sb.URL
		}
		r := config.Resolve(d, providers.ModeSandbox, endpoint, nil, func(string) string { return "" })
		r.Config.Mode = m // live: the sandbox credentials at a loopback "live" endpoint
		p := &desk.Provider{Desc: d, Endpoint: r.Config.BaseURL}
		if target != nil && m == providers.ModeSandbox && d.FollowPolicy().Callbacks {
			r.Config.Callback = target
			p.CallbackURL = target.URL(d.ID)
		}
		c, err := d.New(r.Config)
		if err != nil {
			t.Fatal(err)
		}
		p.Client = c
		return p
	}
	d := desk.New(desk.Options{Registry: catalog.All(), Mode: mode, SandboxURL: sb.URL, Store: j,
		Resolve: resolve, Now: now})
	d.StartFollowing(context.Background())
	t.Cleanup(d.Close)
	var recv *callbacks.Receiver
	if receive {
		recv = callbacks.New(d.CallbackSink(), callbacks.Options{AlibabaKey: target.Key, IdenfySigningKey: []byte(testSigningKey)})
		rsrv.Config.Handler = recv
		rsrv.Start()
		t.Cleanup(rsrv.Close)
	}
	return &Context{Desk: d, Copy: func(string) error { return nil }, Open: func(string) error { return nil }}, recv
}

// feed hands every change waiting on the desk's feed that the screen
// shown wants to the console, as the running program's listener does.
func feed(m *Model) int {
	n := 0
	for len(m.ctx.Desk.Changes()) > 0 {
		if c := <-m.ctx.Desk.Changes(); m.wants(c.ID) {
			// What Update does with changedMsg, but for listening again;
			// the result screen's and home's reads of the store are run
			// and answered.
			cmd := m.changedTo(c.ID, c.Seq, m.dirty)
			if m.screen == screenResult || m.screen == screenHome {
				settle(m, cmd, 0)
			}
			n++
		}
	}
	return n
}

// The customer's approval reaches the result screen with no key pressed:
// the simulator's webhook → the receiver → the desk's history → a change
// on the feed → the screen. Home and the sessions list follow the same way.
func TestCallbackReachesTheResultScreenHomeAndList(t *testing.T) {
	sb := startCountingSandbox(t)
	ctx, recv := followContext(t, providers.ModeSandbox, sb, nil, true)
	m := New(ctx)
	send(m, size(120, 40))
	send(m, launchMsg{draft: ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"cb-ui-1"}})})
	if m.screen != screenResult || m.result.state != providers.StatePending {
		t.Fatalf("screen %d, state %s:\n%s", m.screen, m.result.state, m.View())
	}
	feed(m) // the launch itself
	resp, err := http.PostForm(sb.URL+idenfy.RedirectPath+"/"+idenfy.ActionApprove, url.Values{"authToken": {m.result.launch.References["authToken"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sb.deliver.Wait()
	if feed(m) == 0 {
		t.Fatalf("no change announced (receiver %+v)", recv.Counts())
	}
	if v := m.View(); m.result.state != providers.StateApproved || !strings.Contains(v, "APPROVED") {
		t.Fatalf("the result screen did not change by itself:\n%s", v)
	}

	// Alibaba, with home shown: its row changes by itself.
	send(m, launchMsg{draft: ctx.Desk.Draft(ctx.entry("alibaba"), providers.Values{"DocType": {"01000000"}, "MerchantUserId": {"cb-ui-2"}, "ReturnUrl": {"https://example.com/done"}, "SecurityLevel": {"01"}})})
	pageURL, id := m.result.launch.URL, m.result.sessionID
	send(m, press("esc"))
	if m.screen != screenHome {
		t.Fatalf("screen %d, want home", m.screen)
	}
	feed(m)
	row := func() string {
		for _, l := range strings.Split(m.View(), "\n") {
			if strings.Contains(l, id) {
				return l
			}
		}
		return ""
	}
	if !strings.Contains(row(), "pending") {
		t.Fatalf("home lacks the pending session %s:\n%s", id, m.View())
	}
	page, err := http.Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	tok := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindSubmatch(html)
	if tok == nil {
		t.Fatalf("no token on the page: %s", html)
	}
	resp, err = http.PostForm(pageURL, url.Values{"token": {string(tok[1])}, "action": {"deny"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sb.deliver.Wait()
	recv.Wait()
	feed(m)
	if !strings.Contains(row(), "denied") {
		t.Fatalf("home did not change by itself:\n%s", m.View())
	}
	send(m, showSessionsMsg{})
	if v := m.View(); !strings.Contains(v, "approved") || !strings.Contains(v, "denied") {
		t.Fatalf("the list lacks the results:\n%s", v)
	}
	if n := sb.status.Load(); n != 0 {
		t.Errorf("%d iDenfy status requests, want none", n)
	}
}

// A live iDenfy session left open on the result screen for 2 minutes sends
// no status request; r sends one, a second r within 10 s sends none and
// says when it can be asked again, and the screen says when it asked.
func TestLiveIdenfyIsNotPolledAndRIsLimited(t *testing.T) {
	sb := startCountingSandbox(t)
	clock := clocktest.New(fixedNow)
	ctx, _ := followContext(t, providers.ModeLive, sb, clock.Now, false)
	m := New(ctx)
	send(m, size(120, 40))
	send(m, launchMsg{draft: ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"live-r-1"}})})
	if m.screen != screenResult {
		t.Fatalf("screen %d:\n%s", m.screen, m.View())
	}
	for range 120 { // two minutes of the screen's own ticks
		clock.Advance(time.Second)
		m.Update(tickMsg{gen: m.result.gen})
		feed(m)
	}
	if n := sb.status.Load(); n != 0 || len(ctx.Desk.Following()) != 0 {
		t.Fatalf("%d status requests (%d sessions followed) in 2 minutes without r", n, len(ctx.Desk.Following()))
	}
	if v := m.View(); !strings.Contains(v, "comes on r only") {
		t.Errorf("the screen does not say the result comes on r:\n%s", v)
	}
	send(m, press("r"))
	if n := sb.status.Load(); n != 1 || m.result.lastErr != "" {
		t.Fatalf("r: %d status requests (%q)", n, m.result.lastErr)
	}
	if v := m.View(); !strings.Contains(v, "checked at 12:02:00") {
		t.Errorf("no 'checked at':\n%s", v)
	}
	clock.Advance(4 * time.Second)
	send(m, press("r"))
	if n := sb.status.Load(); n != 1 {
		t.Fatalf("two r within 10 s sent %d requests", n)
	}
	if v := m.View(); !strings.Contains(v, "can be asked again at 12:02:10") {
		t.Errorf("r too soon does not say when:\n%s", v)
	}
	clock.Advance(6 * time.Second)
	send(m, press("r"))
	if n := sb.status.Load(); n != 2 {
		t.Fatalf("r after 10 s: %d requests, want 2", n)
	}
}
