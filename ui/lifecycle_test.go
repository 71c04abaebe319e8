package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Past the link's expiry the console decides nothing on its own clock (the
// customer may still be finishing within iDenfy's sessionLength), and it
// does not ask iDenfy by itself either: iDenfy asks not to be polled, so
// the screen says r asks.
func TestExpiryIsNotDecidedNorPolled(t *testing.T) {
	m, clock := idenfyResultScreen(t, time.Minute)
	clock.Set(fixedNow.Add(2 * time.Minute))
	_, cmd := m.Update(tickMsg{gen: m.result.gen})
	if m.result.state.Final() {
		t.Fatalf("the console decided %s on its own clock", m.result.state)
	}
	if m.result.inFlight || cmd == nil {
		t.Fatalf("iDenfy was asked by itself at the expiry (in flight %v), or the countdown stopped", m.result.inFlight)
	}
	if v := m.View(); !strings.Contains(v, "lifetime is over") || !strings.Contains(v, "r asks") {
		t.Fatalf("no word about the expiry and r:\n%s", v)
	}
}

func TestNoQRForADeadLink(t *testing.T) {
	m := goldenScreens(t)["result"]
	send(m, size(100, 30))
	m.result.setState(&providers.Status{State: providers.StateDenied, Detail: "DOC_FAKE", At: fixedNow})
	m.dirty = true
	v := m.View()
	if strings.Contains(v, "▀▀▀▀") || !strings.Contains(v, "no longer usable") || !strings.Contains(v, "n next session") {
		t.Fatalf("a QR of a finished session is still shown, or the keys are gone:\n%s", v)
	}
}

func TestReopenedChallengeDoesNotSendACodeByItself(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:1") // nothing listens: a send would fail visibly
	m := New(ctx)
	send(m, size(100, 30))
	row := desk.Row{ID: "d1", Provider: "dws", State: providers.StatePending, Launch: &providers.Launch{Provider: "dws",
		References: map[string]string{"authenticationId": "a1", "authenticationRequestId": "r1"},
		Challenge:  &providers.Challenge{Type: "SMS", RenderValue: "+44******3456"}}}
	send(m, showSessionMsg{follow: ctx.Desk.Followed(ctx.entry("dws"), &desk.Outcome{ID: row.ID, Launch: row.Launch}), row: row})
	if m.screen != screenResult || m.result.triggering || m.result.lastErr != "" {
		t.Fatalf("reopening sent a code (triggering=%v, err=%q)", m.result.triggering, m.result.lastErr)
	}
	if !strings.Contains(m.View(), "t sends a new one") {
		t.Fatalf("no hint to send a code:\n%s", m.View())
	}
	send(m, press("esc"))
	if m.screen != screenSessions {
		t.Fatal("esc from a reopened session does not go back to the list")
	}
}

func TestListCursorFollowsItsSession(t *testing.T) {
	ctx, j := testContext(t, "http://127.0.0.1:8470")
	h := &listStore{Store: j, list: []*session.Session{{ID: "b", Mode: providers.ModeSandbox}, {ID: "a", Mode: providers.ModeSandbox}}}
	ctx.Desk = testDesk(t, providers.ModeSandbox, "http://127.0.0.1:8470", h)
	s := newSessions(ctx)
	s.reload()
	s.cursor = 1 // on "a"
	h.list = append([]*session.Session{{ID: "c", Mode: providers.ModeSandbox}}, h.list...)
	s.reload()
	if r, _ := s.current(); r.ID != "a" {
		t.Fatalf("cursor moved to %q", r.ID)
	}
}

// listStore lists fixed sessions.
type listStore struct {
	session.Store
	list []*session.Session
}

func (l *listStore) Search(context.Context, session.Query, int) ([]*session.Session, int, error) {
	return l.list, len(l.list), nil
}

// idenfyResultScreen is a console at 100x30 on the QR screen of an
// iDenfy session whose link lives for life from fixedNow, on a clock the
// test moves.
func idenfyResultScreen(t *testing.T, life time.Duration) (*Model, *clocktest.Clock) {
	t.Helper()
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	clock := clocktest.New(fixedNow)
	ctx.Now = clock.Now
	m := New(ctx)
	send(m, size(100, 30))
	l := &providers.Launch{Provider: "idenfy", URL: "https://ivs.idenfy.com/api/v2/redirect?authToken=x", References: map[string]string{"scanRef": "s"}, ExpiresAt: fixedNow.Add(life)}
	m.result = newResult(ctx, testFollow(ctx, ctx.entry("idenfy"), "s1", l), nil)
	m.screen = screenResult
	m.resize()
	return m, clock
}

// The link's countdown moves on the screen's own ticks, with no key
// pressed: a tick redraws when what the frame shows has moved on.
func TestCountdownMovesOnTicks(t *testing.T) {
	m, clock := idenfyResultScreen(t, time.Hour)
	m.dirty = true
	if v := m.View(); !strings.Contains(v, "expires in 60m 00s") && !strings.Contains(v, "expires in 1h 00m") {
		t.Fatalf("no countdown:\n%s", v)
	}
	for i, want := range []string{"59m 59s", "59m 58s", "59m 57s"} {
		clock.Advance(time.Second)
		m.Update(tickMsg{gen: m.result.gen})
		if v := m.View(); !strings.Contains(v, "expires in "+want) {
			t.Fatalf("tick %d: the countdown does not read %s:\n%s", i+1, want, v)
		}
	}
	// A tick that changes nothing shown does not redraw.
	m.Update(tickMsg{gen: m.result.gen})
	if m.dirty {
		t.Error("a tick within the same second marked the frame to redraw")
	}
}

// A session closed out by an operator (or failed) is over: reopened from
// the list it shows no QR to scan and no time left.
func TestNoQRForAClosedOutSession(t *testing.T) {
	for _, state := range []providers.State{session.StateResolved, session.StateFailed} {
		ctx, _ := testContext(t, "http://127.0.0.1:8470")
		ctx.Now = clocktest.New(fixedNow).Now
		m := New(ctx)
		send(m, size(100, 30))
		l := &providers.Launch{Provider: "idenfy", URL: "https://ivs.idenfy.com/api/v2/redirect?authToken=x",
			References: map[string]string{"scanRef": "s"}, ExpiresAt: fixedNow.Add(time.Hour)}
		row := desk.Row{ID: "c1", Provider: "idenfy", State: state, Launch: l}
		send(m, showSessionMsg{follow: ctx.Desk.Followed(ctx.entry("idenfy"), &desk.Outcome{ID: row.ID, Launch: l}), row: row})
		v := m.View()
		if m.screen != screenResult || strings.Contains(v, "▀▀▀▀") || strings.Contains(v, "expires in") || !strings.Contains(v, "no longer usable") {
			t.Errorf("%s: a QR or a time left is shown for a session that is over:\n%s", state, v)
		}
	}
}
