package ui

import (
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
)

// After a final result the QR screen says one thing: the outcome and
// that the link is done, not how long the link works nor to wait for a
// final result before another token.
func TestFinalResultScreensDoNotContradictThemselves(t *testing.T) {
	for _, st := range []providers.State{providers.StateApproved, providers.StateDenied, providers.StateExpired} {
		m := goldenScreens(t)["result"]
		m.result.launch.Notes = append(m.result.launch.Notes, "The link works until 2026-12-07T00:00:00Z (expiryTime 86400 s, requested)",
			"Do not issue another token for clientId \"c1\" before this session's final result: repeated tokens may cost credits.")
		send(m, size(80, 24))
		m.result.setState(&providers.Status{State: st, At: fixedNow})
		m.dirty = true
		v := ansi.Strip(m.View())
		for _, bad := range []string{"works until", "before this session's final result", "expires in"} {
			if strings.Contains(v, bad) {
				t.Errorf("%s: the screen still says %q:\n%s", st, bad, v)
			}
		}
		if !strings.Contains(strings.Join(strings.Fields(v), " "), "no longer usable") {
			t.Errorf("%s: no word that the link is done:\n%s", st, v)
		}
	}
}

// A pending DWS session reopened from the store says how long ago its
// code really went, and one whose send time is unknown does not claim
// "0s ago".
func TestReopenedChallengeSaysWhenTheCodeWent(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:1")
	ctx.Now = clocktest.New(fixedNow).Now
	m := New(ctx)
	send(m, size(100, 30))
	launch := func(extra map[string]string) *providers.Launch {
		return &providers.Launch{Provider: "dws", Extra: extra,
			References: map[string]string{"authenticationId": "a1", "authenticationRequestId": "r1"},
			Challenge:  &providers.Challenge{Type: "SMS", RenderValue: "+44******3456", Triggered: true}}
	}
	open := func(l *providers.Launch) string {
		row := desk.Row{ID: "d1", Provider: "dws", State: providers.StatePending, Launch: l}
		send(m, showSessionMsg{follow: ctx.Desk.Followed(ctx.entry("dws"), &desk.Outcome{ID: row.ID, Launch: row.Launch}), row: row})
		return ansi.Strip(m.View())
	}
	sent := fixedNow.Add(-100 * time.Second).UTC().Format(time.RFC3339Nano)
	if v := open(launch(map[string]string{providers.ExtraCodeSentAt: sent})); !strings.Contains(v, "code sent 1m ago") {
		t.Fatalf("reopened 100 s after the code:\n%s", v)
	}
	if v := open(launch(nil)); strings.Contains(v, "code sent 0s ago") || !strings.Contains(v, "Reopened from the store") {
		t.Fatalf("an unknown send time shown as now:\n%s", v)
	}
}

// l on a SUSPECTED session reminds the operator that the provider
// flagged the customer before the new form opens.
func TestRelaunchOfASuspectedSessionReminds(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	for _, c := range []struct {
		state  providers.State
		remind bool
	}{{providers.StateSuspected, true}, {providers.StateApproved, false}} {
		s := newSessions(ctx)
		s.rows = []desk.Row{{ID: "s1", Provider: "idenfy", State: c.state, Values: providers.Values{"locale": {"lt"}}}}
		cmd := s.Update(press("l"))
		if cmd == nil {
			t.Fatalf("%s: l did nothing", c.state)
		}
		msg, ok := cmd().(startFormMsg)
		if !ok || strings.Contains(msg.note, "SUSPECTED") != c.remind {
			t.Fatalf("%s: note %q", c.state, msg.note)
		}
	}
}

// ctrl+c does what the README says: it quits at once where nothing would
// be lost, and asks first on a filled form, where a second ctrl+c quits.
func TestCtrlCAsREADMESays(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), "`ctrl+c` and `q` ask first: a second `ctrl+c` (or `y`) quits") {
		t.Fatal("the README no longer says how ctrl+c asks on a filled form")
	}
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(80, 24), press("7"))
	if _, cmd := m.Update(press("ctrl+c")); !quitsCmd(cmd) {
		t.Fatal("ctrl+c on an empty form does not quit at once")
	}
	m = New(ctx)
	send(m, size(80, 24), press("7"), press("typed"))
	if _, cmd := m.Update(press("ctrl+c")); quitsCmd(cmd) || !strings.Contains(m.View(), "Quit?") {
		t.Fatal("ctrl+c on a filled form quits without asking")
	}
	if _, cmd := m.Update(press("ctrl+c")); !quitsCmd(cmd) {
		t.Fatal("a second ctrl+c does not quit")
	}
}

func quitsCmd(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

// A required choice left unset names the field under it, with the keys
// that fix it, and its title keeps one required mark.
func TestMissingRequiredChoiceSaysWhichAndHow(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(80, 24), startFormMsg{provider: "alibaba", values: providers.Values{"MerchantUserId": {"u1"}}, focus: "DocType"})
	send(m, press("enter"))
	v := ansi.Strip(m.View())
	if strings.Contains(v, "* *") || !strings.Contains(v, "Document type is required: choose one with ↑/↓, then enter") {
		t.Fatalf("the missing choice is not said plainly:\n%s", v)
	}
}

// A request taller than the review's room says it scrolls, and how.
func TestReviewThatScrollsSaysSo(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	e := ctx.entry("alibaba")
	m := New(ctx)
	send(m, size(80, 24), reviewMsg{draft: ctx.Desk.Draft(e, providers.Values{"MerchantUserId": {"u1"}, "DocType": {"01000000"},
		"ReturnUrl": {"https://desk.example/done"}, "CallbackUrl": {"https://desk.example/cb"}})})
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "pgup/pgdn scroll") {
		t.Fatalf("no scroll hint on a review taller than the screen:\n%s", v)
	}
	if n := strings.Count(v, "\n") + 1; n > 24 {
		t.Fatalf("%d lines", n)
	}
	m2 := New(ctx)
	send(m2, size(200, 60), reviewMsg{draft: ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"c1"}})})
	if strings.Contains(m2.View(), "pgup/pgdn scroll") {
		t.Fatal("a scroll hint on a review that fits")
	}
}
