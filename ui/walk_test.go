package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Found walking the console at 80×24 as a new desk operator; each test
// failed before its fix.

// Review wraps the body between JSON members, not at a hyphen inside a
// value: "desk-" and "0042" on two lines read as two values.
func TestReviewWrapsTheBodyBetweenMembers(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	e := ctx.entry("idenfy")
	m := New(ctx)
	send(m, size(80, 24), reviewMsg{draft: ctx.Desk.Draft(e, providers.Values{"clientId": {"desk-0042"}, "documents": {"ID_CARD"},
		"callbackUrl": {"http://127.0.0.1:33503/callbacks/idenfy"}})})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, `"clientId":"desk-0042"`) || !strings.Contains(v, `"callbackUrl":"http://127.0.0.1:33503/callbacks/idenfy"`) {
		t.Fatalf("a value is broken across lines:\n%s", v)
	}
}

// The banner's sandbox note is whole, or only its head where the window
// is too narrow ("in-process"), never cut mid-word.
func TestBannerNoteIsWholeOrShort(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:41771")
	ctx.SandboxMsg = "in-process: URLs live while this console runs"
	for w, want := range map[int]string{80: "· in-process\n", 140: "· in-process: URLs live while this console runs\n"} {
		m := New(ctx)
		send(m, size(w, 24))
		v := ansi.Strip(m.View())
		if first := strings.SplitAfter(v, "\n")[0]; !strings.HasSuffix(strings.TrimRight(first, " \n")+"\n", want) {
			t.Errorf("%d columns: banner %q, want it to end %q", w, first, want)
		}
	}
}

// The QR screen's keys break between keys: "r" at the end of a line and
// "refresh status" on the next read as two things.
func TestResultKeysStayWithWhatTheyDo(t *testing.T) {
	m := goldenScreens(t)["result"]
	send(m, size(80, 24))
	v := ansi.Strip(m.View())
	for _, want := range []string{"c copy URL", "o open URL", "r refresh status", "n next session", "esc back", "? help"} {
		found := false
		for _, l := range strings.Split(v, "\n") {
			found = found || strings.Contains(l, want)
		}
		if !found {
			t.Errorf("%q is not on one line:\n%s", want, v)
		}
	}
}

// After a final result the QR screen offers no link to copy or open (it
// says the link is no longer usable), and the feedback of an earlier
// key ("opened in the browser") gives way to the result.
func TestFinalResultOffersNoDeadLink(t *testing.T) {
	m := goldenScreens(t)["result"]
	send(m, size(80, 24), press("o"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "opened in the browser") {
		t.Fatalf("o gave no feedback:\n%s", v)
	}
	m.result.setState(&providers.Status{State: providers.StateApproved, At: fixedNow})
	m.dirty = true
	v := ansi.Strip(m.View())
	for _, bad := range []string{"c copy URL", "o open URL", "opened in the browser"} {
		if strings.Contains(v, bad) {
			t.Errorf("after APPROVED the screen still says %q:\n%s", bad, v)
		}
	}
	if _, cmd := m.Update(press("c")); cmd != nil {
		t.Error("c still copies a link no longer usable")
	}
}

// A session closed out (resolved) has no time left and cannot be closed
// out again; a history entry's detail is wrapped whole in d, not cut.
func TestClosedOutSessionInTheList(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	ctx.Now = func() time.Time { return fixedNow }
	m := New(ctx)
	m.screen = screenSessions
	long := "iDenfy webhook: APPROVED (autoDocument DOC_VALIDATED; autoFace FACE_MATCH; manualDocument DOC_VALIDATED)"
	m.sessions.rows = []desk.Row{{ID: "r1", Provider: "idenfy", Mode: "sandbox", Customer: "walk-0001", State: session.StateResolved,
		CreatedAt: fixedNow.Add(-time.Minute), ExpiresAt: fixedNow.Add(23 * time.Hour),
		History: []providers.Status{{State: providers.StateApproved, Detail: long, At: fixedNow}}, Sources: []string{"signed callback"}}}
	send(m, size(80, 24))
	v := ansi.Strip(m.View())
	if strings.Contains(v, "23h") {
		t.Errorf("a resolved session shows time left:\n%s", v)
	}
	send(m, press("x"))
	if m.sessions.closingID != "" {
		t.Error("x opened the reason prompt for a session already closed out")
	}
	send(m, press("d"))
	v = ansi.Strip(m.View())
	if !strings.Contains(strings.Join(strings.Fields(v), " "), long) {
		t.Errorf("d cuts the history's detail:\n%s", v)
	}
}

// The code screen's keys break between keys: "· w raw response" does not
// start a line on its own separator.
func TestCodeScreenKeysBreakBetweenKeys(t *testing.T) {
	m := goldenScreens(t)["challenge"]
	m.result.wire.ex = []providers.Exchange{{Request: "POST /ams/api/v1/security/triggerChallenge", Status: "200 OK"}}
	send(m, size(80, 24))
	v := ansi.Strip(m.View())
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "·") {
			t.Errorf("a line starts with a separator: %q\n%s", l, v)
		}
	}
	if !strings.Contains(v, "w raw response") {
		t.Errorf("w is not offered:\n%s", v)
	}
}

// Alibaba's review (a long signed query, a header of ;-separated names)
// breaks after & and never leaves a lone "-" line.
func TestReviewWrapsASignedQuery(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	e := ctx.entry("alibaba")
	for _, w := range []int{80, 120} {
		m := New(ctx)
		send(m, size(w, 40), reviewMsg{draft: ctx.Desk.Draft(e, providers.Values{"MerchantUserId": {"cust-77"}, "DocType": {"01000000"}})})
		v := ansi.Strip(m.View())
		for _, l := range strings.Split(v, "\n") {
			if lone := strings.TrimSpace(l); lone == "-" || lone == "POST" {
				t.Errorf("%d: a lone %q line:\n%s", w, lone, v)
			}
		}
		if !strings.Contains(v, "DocType=01000000&") {
			t.Errorf("%d: a query parameter is broken:\n%s", w, v)
		}
	}
}

// At a served desk a loopback link is the server's: the note says how
// the server must run (serve --http-listen), not to start a sandbox.
func TestServedDeskLoopbackNoteNamesTheServer(t *testing.T) {
	ctx, j := testContext(t, "http://127.0.0.1:34525")
	ctx.Desk = testDeskWith(t, providers.ModeSandbox, "http://127.0.0.1:34525", j, func(o *desk.Options) { o.Operator, o.Desk = "alice", "desk-12" })
	ctx.Now = func() time.Time { return fixedNow }
	l := &providers.Launch{Provider: "idenfy", URL: "http://127.0.0.1:34525/api/v2/redirect?authToken=pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC",
		References: map[string]string{"scanRef": "ec6a7108-8c26-11e9-9758-309c231b1bac"}, ExpiresAt: fixedNow.Add(time.Hour)}
	m := New(ctx)
	m.result = newResult(ctx, testFollow(ctx, ctx.entry("idenfy"), "k7f3q9x2", l), nil)
	m.screen = screenResult
	send(m, size(120, 40))
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "kycdesk serve --http-listen 0.0.0.0:34525\n") || !strings.Contains(v, "--public-url http://ADDRESS:34525\n") ||
		strings.Contains(v, "kycdesk sandbox --listen") {
		t.Fatalf("the served desk's loopback note:\n%s", v)
	}
	// At 80 columns the narrow panel wraps the command between its words.
	send(m, size(80, 24))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "http://ADDRESS:34525") {
		t.Errorf("the public URL is split at 80:\n%s", v)
	}
}

// q on home asks first while a pending session's link lives in this
// console's in-process sandbox (it died silently once the operator had
// left the QR screen).
func TestQuitFromHomeAsksWhileInProcessLinksLive(t *testing.T) {
	url := startSandbox(t)
	ctx, j := testContext(t, url)
	ctx.Desk = testDeskWith(t, providers.ModeSandbox, url, j, func(o *desk.Options) { o.SandboxNote = "in-process: URLs live while this console runs" })
	m := New(ctx)
	send(m, size(80, 24), launchMsg{draft: ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"walk-q1"}})})
	if m.screen != screenResult {
		t.Fatalf("not launched:\n%s", m.View())
	}
	send(m, goHomeMsg{})
	_, cmd := m.Update(press("q"))
	if cmd != nil || m.quitAsk == "" {
		t.Fatalf("q quit at once with a live in-process link")
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "in-process sandbox") {
		t.Errorf("the question does not say why:\n%s", v)
	}
}

// The raw response panel's title says its note whole or in short, never
// cut ("… personal values sent are mas…").
func TestRawPanelTitleIsWhole(t *testing.T) {
	m := goldenScreens(t)["result"]
	m.result.wire.ex = []providers.Exchange{{Request: "POST /api/v2/token", Status: "201 Created", Body: strings.Repeat("{\"a\": 1}\n", 60)}}
	send(m, size(80, 24), press("w"))
	v := ansi.Strip(m.View())
	title := strings.Split(v, "\n")[1]
	if !strings.HasPrefix(title, "Raw provider response") || strings.Contains(title, "…") || !strings.Contains(title, "masked") {
		t.Fatalf("the panel's title: %q\n%s", title, v)
	}
}

// The help names ctrl+o (a field's documentation) only where there are
// fields.
func TestHelpNamesTheFieldDocKeyOnlyOnForms(t *testing.T) {
	for name, want := range map[string]bool{"home": false, "result": false, "sessions": false, "form": true} {
		m := goldenScreens(t)[name]
		send(m, size(80, 24))
		m.full = true
		m.dirty = true
		if got := strings.Contains(ansi.Strip(m.View()), "ctrl+o shows a field's full documentation"); got != want {
			t.Errorf("%s: help names ctrl+o: %v, want %v", name, got, want)
		}
	}
}

// An operator's sessions title with paging says which modes are listed
// whole or in short at 80 columns, never cut.
func TestSessionsTitleIsNeverCut(t *testing.T) {
	ctx, j := testContext(t, "http://127.0.0.1:8470")
	ctx.Desk = testDeskWith(t, providers.ModeSandbox, "http://127.0.0.1:8470", j, func(o *desk.Options) { o.Operator, o.Desk = "alice", "desk-12" })
	m := New(ctx)
	m.screen = screenSessions
	m.sessions.rows = columnRows()
	m.sessions.total, m.sessions.more = 1000, true
	send(m, size(80, 24))
	title := strings.Split(ansi.Strip(m.View()), "\n")[1]
	if strings.Contains(title, "…") || !strings.Contains(title, "sandbox only") {
		t.Fatalf("the title: %q", title)
	}
}

// Review's "not asked" line keeps each name with its value: lines break
// between them ("MerchantBizId =" / its value read as two things).
func TestReviewKeepsEachValueNotAskedWithItsName(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	e := ctx.entry("alibaba")
	m := New(ctx)
	send(m, size(80, 24), reviewMsg{draft: ctx.Desk.Draft(e, providers.Values{"MerchantUserId": {"cust-77"}, "DocType": {"01000000"}})})
	v := ansi.Strip(m.View())
	biz := m.review.values.Get("MerchantBizId")
	if biz == "" || !strings.Contains(v, "MerchantBizId = "+biz+" (generated)") {
		t.Fatalf("MerchantBizId is not whole on one line:\n%s", v)
	}
}

// The error screen's message and what to do stay in their column under
// their label when they wrap (lines of 66 columns from the left edge
// read as a narrower window).
func TestErrorScreenTextStaysInItsColumn(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	m.errs = newErrorModel(ctx, "Launch Alipay DWS OTP", &providers.Error{Kind: providers.KindUnknown, Code: "REQUEST_TRAFFIC_EXCEED_LIMIT",
		Message: "initAuthentication: outcome unknown after 4 attempt(s): DWS answered U (unknown): Request traffic exceeds the limit.",
		Action:  "DWS may have processed the request. Retry the same request later: the same authenticationRequestId (KYCDESK20261206045209ec8648f4ee25d25a) with exactly the same values, so the body is identical."}, nil)
	m.screen = screenError
	send(m, size(80, 24))
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "What to do: ") && i+1 < len(lines) {
			if next := lines[i+1]; !strings.HasPrefix(next, strings.Repeat(" ", 12)) || strings.TrimSpace(next) == "" {
				t.Fatalf("what to do continues out of its column: %q\n%s", next, strings.Join(lines, "\n"))
			}
			return
		}
	}
	t.Fatalf("no what to do:\n%s", strings.Join(lines, "\n"))
}
