package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/desk"
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
	ctx.Now = func() time.Time { return fixedNow }
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
