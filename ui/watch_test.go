package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/x/ansi"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// The change feed's listener hands the program only the changes the
// screen shown draws: the result screen its own session's, a form none;
// the rest never become messages.
func TestListenerDropsChangesTheScreenDoesNotShow(t *testing.T) {
	sb := startCountingSandbox(t)
	ctx, _ := followContext(t, providers.ModeSandbox, sb, nil, false)
	m := New(ctx)
	m.Init() // publishes home; its commands are not run
	send(m, size(120, 40))
	send(m, launchMsg{draft: ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"watch-1"}})})
	if m.screen != screenResult {
		t.Fatalf("screen %d, want the result:\n%s", m.screen, m.View())
	}
	for len(ctx.Desk.Changes()) > 0 { // the launch's own
		<-ctx.Desk.Changes()
	}
	own := m.result.sessionID
	listen := func() <-chan tea.Msg {
		got := make(chan tea.Msg, 1)
		cmd := m.listen()
		go func() { got <- cmd() }()
		return got
	}

	got := listen()
	ctx.Desk.Notify("another-desks-session")
	ctx.Desk.Notify(own)
	if msg := <-got; msg != (changedMsg{id: own}) {
		t.Fatalf("the result screen got %#v, want its own session's change only", msg)
	}

	// Its own session's change, or a recheck, that finds the session as it
	// is drawn draws nothing.
	before := m.View()
	for _, msg := range []tea.Msg{changedMsg{id: own}, recheckMsg{}} {
		m.Update(msg)
		if m.dirty {
			t.Errorf("%#v with nothing new recorded marked the result for drawing", msg)
		}
		if m.View() != before {
			t.Errorf("%#v changed the frame", msg)
		}
	}

	// A form shows no session: its listener lets nothing through; home
	// (this desk sees every session) takes them again.
	send(m, startFormMsg{provider: "idenfy"})
	if m.screen != screenForm {
		t.Fatalf("screen %d, want the form", m.screen)
	}
	for _, id := range []string{own, "another-desks-session", ""} {
		if m.wants(id) {
			t.Errorf("the form wants change %q", id)
		}
	}
	send(m, goHomeMsg{})
	if !m.wants(own) || !m.wants("") {
		t.Errorf("home does not want its sessions' changes")
	}
}

// A change the listener dropped because its screen was not shown yet is
// read when the screen is: a customer who answers while the desk is
// still between the launch and its result screen is not missed.
func TestResultShownAfterItsChangeReadsIt(t *testing.T) {
	sb := startCountingSandbox(t)
	ctx, recv := followContext(t, providers.ModeSandbox, sb, nil, true)
	m := New(ctx)
	m.Init()
	send(m, size(120, 40))
	dr := ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"watch-2"}})
	send(m, launchMsg{draft: dr}) // a first launch, to be on the launching path
	// The launch of this test: done by the desk, answered by the customer
	// and recorded, all before the console takes launchDoneMsg.
	out, err := ctx.Desk.Launch(context.Background(), ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"watch-3"}}))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(sb.URL+idenfy.RedirectPath+"/"+idenfy.ActionApprove, url.Values{"authToken": {out.Launch.References["authToken"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sb.deliver.Wait()
	recv.Wait()
	for len(ctx.Desk.Changes()) > 0 { // the listener was not listening for it
		m.take(<-ctx.Desk.Changes())
	}
	m.screen, m.launching = screenLaunching, newLaunching(ctx, 99, dr)
	send(m, launchDoneMsg{id: 99, outcome: out})
	if m.screen != screenResult || m.result.sessionID != out.ID {
		t.Fatalf("screen %d, session %q, want the result of %s", m.screen, m.result.sessionID, out.ID)
	}
	if m.result.state != providers.StateApproved {
		// The recheck reads the store, which drain follows for 300 ms
		// only: on a busy machine it is read again here, and waited for.
		_, cmd := m.Update(recheckMsg{dropped: dropped{all: true}})
		settle(m, cmd, 0)
	}
	if v := m.View(); m.result.state != providers.StateApproved || !strings.Contains(v, "APPROVED") {
		t.Fatalf("the result screen shows %s, want the recorded approval:\n%s", m.result.state, v)
	}
}

// Messages that change nothing on the screen shown (a countdown of a
// result no longer shown, the spinner of a finished launch, a cursor
// blink a form does not show) leave the kept frame as it is, and the
// kept frame is what a fresh render draws.
func TestMessagesThatChangeNothingDrawNothing(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	m := New(ctx)
	send(m, size(120, 40))
	send(m, startFormMsg{provider: "idenfy"})
	if m.screen != screenForm {
		t.Fatalf("screen %d, want the form", m.screen)
	}
	before := m.View()
	for _, msg := range []tea.Msg{tickMsg{gen: -1}, spinner.TickMsg{}, cursor.BlinkMsg{}} {
		if _, cmd := m.Update(msg); cmd != nil {
			t.Errorf("%T on the form scheduled more", msg)
		}
		if m.dirty {
			t.Errorf("%T on the form marked the frame for drawing", msg)
		}
		if v := m.View(); v != before {
			t.Errorf("%T changed the frame", msg)
		}
		if fresh := m.render(); fresh != before {
			t.Errorf("after %T the kept frame differs from a fresh render", msg)
		}
	}
}

// A profile's screen handed on (enter) keeps drawing its last frame and
// builds its next form only when it is used again; then that form holds
// what was typed and takes keys.
func TestProfileHandedOnComesBackWithWhatWasTyped(t *testing.T) {
	ctx, _, _ := profileContext(t, "http://127.0.0.1:8470", map[string]string{"passport-lt": passportLT})
	m := New(ctx)
	send(m, size(100, 30), press("1"), press("cust-7"))
	if m.screen != screenProfile {
		t.Fatalf("screen %d, want the profile's:\n%s", m.screen, m.View())
	}
	before := m.profile.View()
	if m.profile.submit(false) == nil {
		t.Fatal("enter on a filled profile did not hand on")
	}
	if m.profile.reopen == nil {
		t.Fatal("the typed values are not kept for the screen's return")
	}
	if v := m.profile.View(); v != before {
		t.Errorf("handed on, the screen's frame changed:\n%s\nwas:\n%s", v, before)
	}
	if !m.profile.filled() {
		t.Error("handed on, the screen forgot it was filled")
	}
	m.profile.SetSize(100, 28) // used again
	if m.profile.reopen != nil || m.profile.form.State != huh.StateNormal {
		t.Fatalf("used again, the form was not rebuilt (state %v)", m.profile.form.State)
	}
	if typed, _ := m.profile.typed(); typed.Get("clientId") != "cust-7" {
		t.Errorf("the rebuilt form holds %v, want clientId cust-7", typed)
	}
	if !strings.Contains(ansi.Strip(m.profile.View()), "cust-7") {
		t.Errorf("the rebuilt form does not show the typed id:\n%s", m.profile.View())
	}
}

// The result screen reads its session off the event loop after a change
// notice: the answer of the last read started is applied, an earlier
// read's answer (possibly older) and another result screen's are dropped.
func TestResultAppliesOnlyItsLatestRead(t *testing.T) {
	sb := startCountingSandbox(t)
	ctx, _ := followContext(t, providers.ModeSandbox, sb, nil, false)
	m := New(ctx)
	send(m, size(120, 40))
	send(m, launchMsg{draft: ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"watch-latest"}})})
	if m.screen != screenResult || m.result.state != providers.StatePending {
		t.Fatalf("screen %d, state %s", m.screen, m.result.state)
	}
	id := m.result.sessionID
	first, second := m.changed(id, false), m.changed(id, false)
	if first == nil || second == nil {
		t.Fatal("a change of the shown session started no read")
	}
	if cmd := m.changed("another-session", false); cmd != nil {
		t.Error("another session's change started a read")
	}
	approved := &providers.Status{State: providers.StateApproved, Detail: "approved by the test"}
	earlier := first().(recordedMsg)
	earlier.status, earlier.ok = approved, true
	send(m, earlier)
	if m.result.state != providers.StatePending {
		t.Fatalf("an earlier read's answer was applied: %s", m.result.state)
	}
	other := second().(recordedMsg)
	other.gen, other.status, other.ok = other.gen+1000, approved, true
	send(m, other)
	if m.result.state != providers.StatePending {
		t.Fatalf("another result screen's answer was applied: %s", m.result.state)
	}
	latest := second().(recordedMsg)
	latest.status, latest.ok = approved, true
	send(m, latest)
	if v := m.View(); m.result.state != providers.StateApproved || !strings.Contains(v, "APPROVED") {
		t.Fatalf("the latest read's answer was not shown (%s):\n%s", m.result.state, v)
	}
}

// Home reads what it shows after a change notice in a command: the last
// load's answer is applied; an earlier load's, or one started before home
// was read again, is dropped.
func TestHomeAppliesOnlyItsLatestRead(t *testing.T) {
	sb := startCountingSandbox(t)
	ctx, _ := followContext(t, providers.ModeSandbox, sb, nil, false)
	m := New(ctx)
	send(m, size(120, 40))
	if m.screen != screenHome {
		t.Fatalf("screen %d, want home", m.screen)
	}
	// A launch of this desk that the console did not see.
	out, err := ctx.Desk.Launch(context.Background(), ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"home-latest"}}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.View(), out.ID) {
		t.Fatalf("home lists %s before reading it:\n%s", out.ID, m.View())
	}
	first, second := m.changed(out.ID, false), m.changed(out.ID, false)
	if first == nil || second == nil {
		t.Fatal("a change of this desk's session started no load")
	}
	send(m, first().(homeReadMsg))
	if strings.Contains(m.View(), out.ID) {
		t.Fatalf("an earlier load's answer was applied:\n%s", m.View())
	}
	send(m, second().(homeReadMsg))
	if !strings.Contains(m.View(), out.ID) {
		t.Fatalf("the latest load's answer was not applied:\n%s", m.View())
	}

	third := m.changed(out.ID, false)
	stale := third().(homeReadMsg)
	stale.recent = nil // as if read before the session was
	m.home.reload()
	send(m, stale)
	if !strings.Contains(m.View(), out.ID) {
		t.Fatalf("a load started before home was read again was applied:\n%s", m.View())
	}
}

// The sessions list reads the store for a change notice in a command, and
// applies only its latest read: an earlier one's answer, and one started
// before the list was read again, are dropped.
func TestSessionsAppliesOnlyItsLatestRead(t *testing.T) {
	sb := startCountingSandbox(t)
	ctx, _ := followContext(t, providers.ModeSandbox, sb, nil, false)
	m := New(ctx)
	send(m, size(120, 40))
	send(m, showSessionsMsg{})
	if m.screen != screenSessions {
		t.Fatalf("screen %d, want the sessions list", m.screen)
	}
	out, err := ctx.Desk.Launch(context.Background(), ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"list-latest"}}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.View(), out.ID) {
		t.Fatalf("the list shows %s before reading it:\n%s", out.ID, m.View())
	}
	first, second := m.changed(out.ID, false), m.changed(out.ID, false)
	if first == nil || second == nil {
		t.Fatal("a change of this desk's session started no read")
	}
	if strings.Contains(m.View(), out.ID) {
		t.Fatalf("the list was read in Update, not in a command:\n%s", m.View())
	}
	send(m, first().(sessionsReadMsg))
	if strings.Contains(m.View(), out.ID) {
		t.Fatalf("an earlier read's answer was applied:\n%s", m.View())
	}
	send(m, second().(sessionsReadMsg))
	if !strings.Contains(m.View(), out.ID) {
		t.Fatalf("the latest read's answer was not applied:\n%s", m.View())
	}

	third := m.changed(out.ID, false)
	stale := third().(sessionsReadMsg)
	stale.page = desk.Page{} // as if read before the session was
	m.sessions.reload()
	send(m, stale)
	if !strings.Contains(m.View(), out.ID) {
		t.Fatalf("a read started before the list was read again was applied:\n%s", m.View())
	}
}

// The launching screen stays still for launchStill (a launch that answers
// sooner sends no spinner frames), and then its spinner turns: the first
// tick is the spinner's own, which it takes and follows with the next.
func TestLaunchingSpinnerTurnsAfterAStill(t *testing.T) {
	sb := startCountingSandbox(t)
	ctx, _ := followContext(t, providers.ModeSandbox, sb, nil, false)
	l := newLaunching(ctx, 1, ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"still"}}))
	start := time.Now()
	msg := l.spinnerAfter(launchStill)()
	if took := time.Since(start); took < launchStill {
		t.Errorf("the first turn came after %v, before %v", took, launchStill)
	}
	tick, ok := msg.(spinner.TickMsg)
	if !ok {
		t.Fatalf("first tick: %T", msg)
	}
	before := l.spinner.View()
	if next := l.Update(tick); next == nil || l.spinner.View() == before {
		t.Error("the spinner did not take its first tick")
	}
}

// A result screen reads nothing for a notice of the event it shows (its
// own launch, heard again from the store's feed) or an earlier one, and
// reads for a later one or one that does not say.
func TestResultReadsOnlyWhatItDoesNotShow(t *testing.T) {
	sb := startCountingSandbox(t)
	ctx, _ := followContext(t, providers.ModeSandbox, sb, nil, false)
	m := New(ctx)
	send(m, size(120, 40))
	out, err := ctx.Desk.Launch(context.Background(), ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"seq-shown"}}))
	if err != nil {
		t.Fatal(err)
	}
	if out.Seq == 0 {
		t.Fatal("the launch's outcome says no event")
	}
	m.launching = newLaunching(ctx, m.nextID(), ctx.Desk.Draft(ctx.entry("idenfy"), nil))
	m.screen = screenLaunching
	m.publishWatch()
	// The launch's own changes reach the listener while it launches, and
	// are dropped; the result screen's recheck then reads nothing (what
	// was dropped is the outcome it shows), unless a later change was.
	recheck := func(dropAlso ...desk.Change) tea.Cmd {
		t.Helper()
		for len(ctx.Desk.Changes()) > 0 {
			m.take(<-ctx.Desk.Changes())
		}
		for _, c := range append([]desk.Change{{ID: out.ID, Seq: out.Seq}}, dropAlso...) {
			if m.take(c) {
				t.Fatal("the launching screen wants a session's change")
			}
		}
		m.update(launchDoneMsg{id: m.launching.id, outcome: out})
		if m.screen != screenResult {
			t.Fatalf("screen %d, want the result", m.screen)
		}
		cmd := m.publishWatch()
		if cmd == nil {
			t.Fatal("no recheck when the result screen was shown")
		}
		_, read := m.Update(cmd())
		return read
	}
	if read := recheck(); read != nil {
		t.Error("the recheck read the store for the launch's own changes")
	}
	for _, later := range []desk.Change{{ID: out.ID, Seq: out.Seq + 1}, {ID: out.ID}, {ID: ""}} {
		m.screen = screenLaunching
		m.publishWatch()
		if read := recheck(later); read == nil {
			t.Errorf("a change %+v dropped while launching is not read", later)
		}
	}
	for _, seq := range []int64{out.Seq, out.Seq - 1} {
		if cmd := m.changedTo(out.ID, seq, false); cmd != nil {
			t.Errorf("a notice of event %d (shown: %d) started a read", seq, out.Seq)
		}
	}
	for _, seq := range []int64{out.Seq + 1, 0} {
		if cmd := m.changedTo(out.ID, seq, false); cmd == nil {
			t.Errorf("a notice of event %d (shown: %d) started no read", seq, out.Seq)
		}
	}
}

// Going home and opening the sessions list read the store in a command,
// not in Update (a served desk's Update holds one of the server's console
// slots): the screen shows what it showed last until the answer is in.
func TestHomeAndSessionsReadInACommand(t *testing.T) {
	ctx, _ := testContext(t, startSandbox(t))
	m := New(ctx)
	send(m, size(120, 40))
	// A launch of this desk that the console did not see.
	out, err := ctx.Desk.Launch(context.Background(), ctx.Desk.Draft(ctx.entry("idenfy"), providers.Values{"clientId": {"read-in-cmd"}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		msg    tea.Msg
		screen screen
	}{{"home", goHomeMsg{}, screenHome}, {"sessions", showSessionsMsg{}, screenSessions}} {
		_, cmd := m.Update(c.msg)
		if m.screen != c.screen {
			t.Fatalf("%s: screen %d", c.name, m.screen)
		}
		if strings.Contains(m.View(), out.ID) {
			t.Errorf("%s read the store in Update:\n%s", c.name, m.View())
		}
		settle(m, cmd, 0)
		if !strings.Contains(m.View(), out.ID) {
			t.Errorf("%s: the command's read was not applied:\n%s", c.name, m.View())
		}
	}
}
