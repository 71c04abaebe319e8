package ui

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/internal/qrscan"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/sandbox"
	"github.com/kycdesk/kycdesk/session"
	_ "github.com/kycdesk/kycdesk/session/sqlite"
	"github.com/kycdesk/kycdesk/session/storetest"
)

func TestMain(m *testing.M) {
	// Tests see plain text whatever the terminal running them.
	lipgloss.SetColorProfile(termenv.Ascii)
	time.Local = time.UTC // goldens show clock times
	os.Exit(m.Run())
}

// fixedNow is the clock of the goldens.
var fixedNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// testStore is a test console's session store (SQLite in a temporary
// directory), with what the tests check.
type testStore struct{ session.Store }

func newTestStore(t testing.TB) testStore {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"HOME": dir, session.KeyEnv: storetest.TestKey}
	st, err := session.OpenStore(filepath.Join(dir, "kycdesk.db"), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return testStore{st}
}

// Sessions are all the sessions recorded, newest first.
func (s testStore) Sessions() []*session.Session {
	list, err := s.List(context.Background(), session.Query{})
	if err != nil {
		panic(err)
	}
	return list
}

// get reads a session back.
func (s testStore) get(id string) (*session.Session, error) { return s.Get(context.Background(), id) }

// testContext builds a console context whose providers talk to baseURL
// with the sandbox credentials, recording into a temporary store.
func testContext(t testing.TB, baseURL string) (*Context, testStore) {
	t.Helper()
	j := newTestStore(t)
	ctx := &Context{Desk: testDesk(t, providers.ModeSandbox, baseURL, j),
		Copy: func(string) error { return nil }, Open: func(string) error { return nil }}
	return ctx, j
}

// testDesk is a desk whose providers talk to baseURL (or, when following
// a session, to its own endpoint) with the sandbox credentials.
func testDesk(t testing.TB, mode providers.Mode, baseURL string, st session.Store) *desk.Desk {
	return testDeskWith(t, mode, baseURL, st)
}

// testDeskWith is testDesk with more options (a profile store, a sandbox note).
func testDeskWith(t testing.TB, mode providers.Mode, baseURL string, st session.Store, more ...func(*desk.Options)) *desk.Desk {
	resolve := func(d providers.Descriptor, mode providers.Mode, endpoint string) *desk.Provider {
		if endpoint == "" {
			endpoint = baseURL
		}
		r := config.Resolve(d, mode, endpoint, nil, func(string) string { return "" })
		r.Config.BaseURL = endpoint
		p := &desk.Provider{Desc: d, Endpoint: r.Config.BaseURL, SecretEnv: r.SecretEnv, Disabled: r.Disabled}
		if c, err := d.New(r.Config); err != nil {
			p.Disabled = err.Error()
		} else if p.Disabled == "" {
			p.Client = c
		}
		return p
	}
	o := desk.Options{Registry: catalog.All(), Mode: mode, SandboxURL: baseURL, Store: st,
		Resolve: resolve}
	for _, f := range more {
		f(&o)
	}
	return desk.New(o)
}

// startSandbox serves every simulator on loopback.
func startSandbox(t testing.TB) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	srv.Config.Handler = sandbox.Handler(catalog.All(), sandbox.Options{PublicURL: srv.URL})
	t.Cleanup(srv.Close)
	return srv.URL
}

// send applies msgs and runs the returned commands' messages too, one
// level deep (enough for screen transitions; ticks are not followed).
func send(m *Model, msgs ...tea.Msg) {
	for _, msg := range msgs {
		_, cmd := m.Update(msg)
		drain(m, cmd, 0)
	}
}

func drain(m *Model, cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 6 {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(300 * time.Millisecond):
		if m.screen != screenLaunching {
			return // a tick or a long wait: not followed
		}
		// A launch under way (two commits and a request: slow on a busy
		// machine) is waited for; a tick returns within its interval.
		select {
		case msg = <-done:
		case <-time.After(time.Minute):
			return
		}
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			drain(m, c, depth+1)
		}
	case nil:
	default:
		if isTick(msg) {
			return
		}
		_, next := m.Update(msg)
		drain(m, next, depth+1)
	}
}

// settle is drain without its cut-off, for a command the test needs the
// answer of (a store read, a request to the sandbox) on a machine too
// busy for 300 ms: each command is waited for (a tick returns within
// its interval and is dropped), so cmd must not hold a listener.
func settle(m *Model, cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 6 {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			settle(m, c, depth+1)
		}
	case nil:
	default:
		if isTick(msg) {
			return
		}
		_, next := m.Update(msg)
		settle(m, next, depth+1)
	}
}

func isTick(msg tea.Msg) bool {
	switch msg.(type) {
	case tickMsg, ageTickMsg:
		return true
	}
	return false
}

func press(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func size(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func TestHomeListsProvidersAndBanner(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(80, 24))
	v := m.View()
	for _, want := range []string{"SANDBOX", "http://127.0.0.1:8470", "iDenfy", "Alibaba Cloud eKYC", "Alipay DWS OTP", "Recent sessions"} {
		if !strings.Contains(v, want) {
			t.Errorf("home lacks %q:\n%s", want, v)
		}
	}
	assertFits(t, v, 80, 24)
}

func TestDisabledProviderSaysWhy(t *testing.T) {
	ctx, j := testContext(t, "http://127.0.0.1:8470")
	ctx.Desk = testDesk(t, providers.ModeLive, "http://127.0.0.1:8470", j)
	ctx.Desk.Providers()[0].Disabled = "no live credentials: set IDENFY_API_KEY, IDENFY_API_SECRET"
	ctx.Desk.Providers()[0].Client = nil
	m := New(ctx)
	send(m, size(100, 24))
	v := m.View()
	if !strings.Contains(v, "LIVE") || !strings.Contains(v, "unavailable: no live credentials: set IDENFY_API_KEY") {
		t.Fatalf("disabled provider not explained:\n%s", v)
	}
	// enter on a disabled provider does nothing
	m.home.cursor = 0
	send(m, press("enter"))
	if m.screen != screenHome {
		t.Fatal("a disabled provider opened a form")
	}
}

func TestTooSmallSaysTheSizeNeeded(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	for _, sz := range [][2]int{{1, 1}, {20, 5}, {59, 30}, {120, 15}} {
		send(m, size(sz[0], sz[1]))
		v := m.View()
		if sz[0] >= 20 && !strings.Contains(v, "60×16") {
			t.Errorf("%v: no size hint:\n%s", sz, v)
		}
		assertFits(t, v, sz[0], sz[1])
	}
}

// assertFits checks the view never exceeds the window: the renderer would
// otherwise crop it (and a cropped QR does not scan).
func assertFits(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) > h {
		t.Errorf("view has %d lines for height %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw > w {
			t.Errorf("line %d is %d wide for width %d: %q", i, lw, w, l)
		}
	}
}

// walkIdenfy drives the console from home to the result screen.
func walkIdenfy(t *testing.T, m *Model, clientID string) {
	t.Helper()
	send(m, press("7")) // iDenfy's explorer: the providers hold 7-9
	if m.screen != screenForm {
		t.Fatalf("not on the form: %v", m.screen)
	}
	send(m, press(clientID))
	for i := 0; i < 12 && m.screen == screenForm; i++ {
		send(m, press("enter"))
	}
	if m.screen != screenReview {
		t.Fatalf("not on review:\n%s", m.View())
	}
}

func TestWholePathIdenfyOnTheSandbox(t *testing.T) {
	url := startSandbox(t)
	ctx, j := testContext(t, url)
	m := New(ctx)
	send(m, size(80, 24))
	walkIdenfy(t, m, "desk-0042")
	v := m.View()
	for _, want := range []string{"POST " + url + "/api/v2/token", `"clientId":"desk-0042"`, "Basic ••••••"} {
		if !strings.Contains(v, want) {
			t.Errorf("review lacks %q:\n%s", want, v)
		}
	}
	send(m, press("enter"))
	if m.screen != screenResult {
		t.Fatalf("not on the result screen:\n%s", m.View())
	}
	v = m.View()
	assertFits(t, v, 80, 24)
	got, err := qrscan.Decode(v)
	if err != nil {
		t.Fatalf("QR on screen does not decode: %v\n%s", err, v)
	}
	if got != m.result.launch.URL || !strings.Contains(v, "scanRef") {
		t.Fatalf("QR decodes to %q, URL is %q", got, m.result.launch.URL)
	}
	if list := j.Sessions(); len(list) != 1 || list[0].Customer != "desk-0042" {
		t.Fatalf("store: %+v", list)
	}
	// n starts the next session on the same provider
	send(m, press("n"))
	if m.screen != screenForm || m.form.entry.Desc.ID != "idenfy" {
		t.Fatal("n did not start the next session")
	}
}

func TestCrossFieldProblemsReturnToTheForm(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(100, 30))
	e := ctx.entry("idenfy")
	send(m, startFormMsg{provider: "idenfy", values: providers.Values{"clientId": {"c1"}}})
	// a completed form with values that break a cross-field rule
	v := providers.Values{"clientId": {"c1"}, "utilityBill": {"true"}, "additionalSteps": {`{"ALL":{"ALL":{"UTILITY_BILL":{"type":"UPLOAD"}}}}`}}
	f := formModel{ctx: ctx, entry: e}
	cmd := f.completeWith(v)
	msg := cmd()
	sf, ok := msg.(startFormMsg)
	if !ok || !strings.Contains(sf.note, "utilityBill") {
		t.Fatalf("cross-field problem not reported at the form: %#v", msg)
	}
	send(m, sf)
	if !strings.Contains(m.View(), "Fix before review") {
		t.Fatalf("the note is not shown:\n%s", m.View())
	}
	// Only the fields named are asked again; the rest keep their values.
	shown := strings.Join(append(m.form.form.Essentials, m.form.form.Advanced...), ",")
	if shown != "utilityBill,additionalSteps" {
		t.Fatalf("the fix-up form shows %q", shown)
	}
	if m.form.base.Get("clientId") != "c1" {
		t.Fatal("the other values were not kept")
	}
	// Unset utilityBill and go on: review, with every other value kept.
	send(m, press("up"))
	for i := 0; i < 4 && m.screen == screenForm; i++ {
		send(m, press("enter"))
	}
	if m.screen != screenReview {
		t.Fatalf("the fixed form did not reach review:\n%s", m.View())
	}
	if v := m.review.values; v.Get("clientId") != "c1" || v.Has("utilityBill") || !v.Has("additionalSteps") {
		t.Fatalf("values after the fix: %v", v)
	}
}

func TestCtrlCQuitsFromInsideTheForm(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(80, 24), press("7"))
	_, cmd := m.Update(press("ctrl+c"))
	if cmd == nil {
		t.Fatal("ctrl+c returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("ctrl+c inside the form does not quit")
	}
}

func TestEscGoesBackAndQOnlyWhereNotTyping(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(80, 24), press("7"))
	_, cmd := m.Update(press("q")) // a letter in a field
	if cmd != nil {
		if _, ok := cmd().(tea.QuitMsg); ok {
			t.Fatal("q quit while typing in the form")
		}
	}
	send(m, press("esc"))
	if m.screen != screenForm || !strings.Contains(m.View(), "esc again discards") {
		t.Fatalf("esc threw away a filled form without asking:\n%s", m.View())
	}
	send(m, press("esc"))
	if m.screen != screenHome {
		t.Fatal("a second esc did not go back home")
	}
	_, cmd = m.Update(press("q"))
	if cmd == nil {
		t.Fatal("q on home did nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q on home does not quit")
	}
}

// launchingScreen is a console at 80x24 on the launching screen of an
// iDenfy launch whose request id is id.
func launchingScreen(t *testing.T, id int) *Model {
	t.Helper()
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(80, 24))
	m.launching = newLaunching(ctx, id, ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"c"}}))
	m.screen = screenLaunching
	return m
}

func TestStaleLaunchReplyIsDropped(t *testing.T) {
	m := launchingScreen(t, 7)
	send(m, launchDoneMsg{id: 6, outcome: &desk.Outcome{ID: "x", Launch: &providers.Launch{URL: "https://stale.example"}}})
	if m.screen != screenLaunching {
		t.Fatal("a stale reply changed the screen")
	}
}

func TestErrorScreenShowsCodeMeaningAndAction(t *testing.T) {
	m := launchingScreen(t, 1)
	send(m, launchDoneMsg{id: 1, outcome: &desk.Outcome{ID: "abc"}, err: &providers.Error{Kind: providers.KindUnknown, HTTPStatus: 503, Code: "\x1b[31mINTERNAL_ERROR", Message: "busy", Action: "retry the same request"}})
	v := m.View()
	for _, want := range []string{"Outcome unknown", "INTERNAL_ERROR (HTTP 503)", "busy", "What to do: retry the same request", "r retry same request"} {
		if !strings.Contains(v, want) {
			t.Errorf("error screen lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "\x1b[31m") {
		t.Error("escape sequence from the network reached the screen")
	}
}

// The store's quota refusal is titled as what it is, not "Invalid input",
// and says once that nothing was sent.
func TestQuotaRefusalIsTitledAsSuch(t *testing.T) {
	m := launchingScreen(t, 1)
	send(m, launchDoneMsg{id: 1, err: &providers.Error{Kind: providers.KindInvalid, Code: "QUOTA",
		Message: "desk desk-1 has reached its limit of 1 launches per hour (desk_per_hour)",
		Action:  "wait until 17:00 UTC, or ask a supervisor to raise desk_per_hour in [serve.quotas]; nothing was sent"}})
	v := m.View()
	if !strings.Contains(v, "Launch quota reached") || strings.Contains(v, "Invalid input") || strings.Count(v, "nothing was sent") != 1 {
		t.Fatalf("the quota refusal's screen:\n%s", v)
	}
}

func TestOnlyOneStatusRequestInFlight(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	e := ctx.entry("idenfy")
	r := newResult(ctx, testFollow(ctx, e, "s1", &providers.Launch{URL: "https://x.example/a", References: map[string]string{"scanRef": "x"}}), nil)
	if r.refresh() == nil {
		t.Fatal("first refresh sent nothing")
	}
	if r.refresh() != nil {
		t.Fatal("a second status request was started while one is in flight")
	}
}

// goldenModel builds each screen with fixed data, for View goldens.
func goldenScreens(t testing.TB) map[string]*Model {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	ctx.Now = clocktest.New(fixedNow).Now
	e := ctx.entry("idenfy")
	out := map[string]*Model{}

	home := New(ctx)
	out["home"] = home

	form := New(ctx)
	send(form, size(80, 24), startFormMsg{provider: "idenfy"})
	out["form"] = form

	review := New(ctx)
	send(review, size(80, 24), reviewMsg{draft: ctx.Desk.Draft(e, providers.Values{"clientId": {"desk-0042"}, "documents": {"PASSPORT", "ID_CARD"}, "locale": {"lt"}})})
	out["review"] = review

	launching := New(ctx)
	launching.launching = newLaunching(ctx, 1, &desk.Draft{Provider: e})
	launching.screen = screenLaunching
	out["launching"] = launching

	l := &providers.Launch{Provider: "idenfy", URL: "https://ivs.idenfy.com/api/v2/redirect?authToken=pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC",
		References: map[string]string{"scanRef": "ec6a7108-8c26-11e9-9758-309c231b1bac", "authToken": "pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC"},
		ExpiresAt:  fixedNow.Add(24 * time.Hour), Extra: map[string]string{"digitString": "89567412"}}
	result := New(ctx)
	result.result = newResult(ctx, testFollow(ctx, e, "k7f3q9x2", l), nil)
	result.screen = screenResult
	out["result"] = result

	dws := ctx.entry("dws")
	ch := New(ctx)
	ch.result = newResult(ctx, testFollow(ctx, dws, "k7f3q9x3", &providers.Launch{Provider: "dws",
		References: map[string]string{"authenticationId": "2022010519007700000016214020050001", "authenticationRequestId": "KYCDESK0001"},
		Challenge:  &providers.Challenge{Type: "SMS", RenderValue: "+44******3456", Triggered: true, SandboxCode: "738829", CodeExpires: fixedNow.Add(5 * time.Minute)}}), nil)
	ch.screen = screenResult
	out["challenge"] = ch

	errm := New(ctx)
	errm.errs = newErrorModel(ctx, "Launch iDenfy", &providers.Error{Kind: providers.KindRejected, HTTPStatus: 401, Code: "UNAUTHORIZED",
		Message: "Invalid authorization credentials", Action: "check IDENFY_API_KEY and IDENFY_API_SECRET"}, nil)
	errm.screen = screenError
	out["error"] = errm

	sess := New(ctx)
	sess.screen = screenSessions
	out["sessions"] = sess
	return out
}

func TestViewGoldens(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		for name, m := range goldenScreens(t) {
			t.Run(fmt.Sprintf("%s_%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				send(m, size(sz[0], sz[1]))
				v := m.View()
				assertFits(t, v, sz[0], sz[1])
				golden.RequireEqual(t, []byte(v))
			})
		}
	}
}

func TestResultQRDecodesAtBothSizes(t *testing.T) {
	// One module per cell up to 120×40; on a large window the code grows
	// (2×2 cells per module at 200×60), within the screen, and decodes.
	for sz, scale := range map[[2]int]int{{80, 24}: 1, {120, 40}: 1, {200, 60}: 2} {
		m := goldenScreens(t)["result"]
		send(m, size(sz[0], sz[1]))
		v := m.View()
		got, err := qrscan.Decode(v)
		if err != nil || got != m.result.launch.URL {
			t.Fatalf("%v: decoded %q, %v", sz, got, err)
		}
		if m.result.code.Scale != scale {
			t.Errorf("%v: scale %d, want %d", sz, m.result.code.Scale, scale)
		}
		assertFits(t, v, sz[0], sz[1])
	}
}

func TestResultTooSmallForQRStillShowsURL(t *testing.T) {
	m := goldenScreens(t)["result"]
	send(m, size(60, 16))
	v := m.View()
	if !strings.Contains(v, "too small for a scannable QR") || !strings.Contains(v, "ivs.idenfy.com") {
		t.Fatalf("no size hint or URL:\n%s", v)
	}
	assertFits(t, v, 60, 16)
}

// testFollow follows a session launched with e, as the result screen does.
func testFollow(ctx *Context, e *desk.Provider, id string, l *providers.Launch) *desk.Follow {
	return ctx.Desk.Followed(e, &desk.Outcome{ID: id, Provider: e.Desc.ID, Launch: l})
}
