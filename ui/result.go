package ui

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/keybar"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/ui/qr"
)

var resultGen atomic.Int64

// resultModel shows a launched session: the QR of the hosted-flow URL, the
// URL, the provider's references, an expiry countdown and the status; for
// an OTP flow (DWS) it is the challenge screen instead.
type resultModel struct {
	ctx       *Context
	gen       int
	reads     int          // store reads changed started (the last one's answer is applied)
	seq       int64        // the session's last event the screen shows (session.Session.Seq; 0: not known)
	follow    *desk.Follow // the session at its own endpoint and mode
	entry     *desk.Provider
	sessionID string
	launch    *providers.Launch
	values    providers.Values
	// profile is the desk profile the launch came from: n (next
	// customer) goes back to its screen, not to the explorer.
	profile string

	code    *qr.Code
	codeErr error

	state    providers.State
	detail   string
	fields   map[string]string
	history  []providers.Status
	inFlight bool
	lastErr  string
	flash    string
	flashErr bool // the flash reports a failure (copy, open)

	// challenge (DWS)
	input      textinput.Model
	sentAt     time.Time
	verifying  bool
	triggering bool

	w, h    int
	stopped bool
	// expiryChecked: the challenge's lifetime was found over
	// (desk.ChallengeExpired decides and records it).
	expiryChecked bool
	// reopened: shown from the store, not fresh from a launch; an OTP
	// challenge is then not sent again by itself.
	reopened bool
	// back is where esc goes (home, or the sessions list).
	back tea.Msg
	// wire is the provider's raw answers: the launch's and those of the
	// requests made from this screen (w).
	wire wirePanel
	// how is how the result comes as last shown (Follow.How), so that a
	// change of it alone (a relay's phase) redraws the screen.
	how string
}

var _ component = (*resultModel)(nil) // a page of the console (component.go)

// next starts the next customer's session: the same desk profile's
// screen when the launch came from one, else the provider's form.
func (r resultModel) next() tea.Cmd {
	if r.profile != "" {
		name := r.profile
		return func() tea.Msg { return startProfileMsg{name: name} }
	}
	id := r.entry.Desc.ID
	return func() tea.Msg { return startFormMsg{provider: id} }
}

func newResult(ctx *Context, f *desk.Follow, values providers.Values) resultModel {
	r := resultModel{ctx: ctx, gen: int(resultGen.Add(1)), follow: f, entry: f.Provider, sessionID: f.ID, launch: f.Launch, values: values, state: providers.StatePending,
		how: f.How()}
	if r.launch == nil {
		r.launch = &providers.Launch{}
		f.Launch = r.launch
	}
	if r.launch.URL != "" {
		r.code, r.codeErr = qr.Render(r.launch.URL)
	}
	if r.launch.Challenge != nil {
		r.input = textinput.New()
		r.input.Placeholder = "code from the SMS"
		r.input.CharLimit = 12
		if r.launch.Challenge.Triggered {
			// When the code went, as the launch recorded it (a session
			// reopened from the store says its true age); now for a
			// launch that did not say.
			if r.sentAt = providers.CodeSentAt(r.launch); r.sentAt.IsZero() {
				r.sentAt = ctx.now()
			}
		}
		if !ctx.sandboxCodeShown(r.launch.Challenge) {
			r.launch.Challenge.SandboxCode = ""
		}
	}
	return r
}

// capturing is ctx under which the provider's answers to a request made
// from this screen are collected, masked as the launch's were.
func (r *resultModel) capturing(ctx context.Context) (context.Context, *providers.Capture) {
	var secrets []string
	if r.entry.Client != nil {
		secrets = r.entry.Client.Secrets()
	}
	c := providers.NewCapture(providers.NewScrubber(secrets, r.entry.Desc.Spec(), r.values))
	return providers.WithCapture(ctx, c), c
}

func (r *resultModel) isChallenge() bool { return r.launch.Challenge != nil }

func (r *resultModel) Typing() bool { return r.isChallenge() && r.input.Focused() }

func (r *resultModel) stop() { r.stopped = true }

func (r *resultModel) init() tea.Cmd {
	cmds := []tea.Cmd{r.tick()}
	if r.isChallenge() {
		switch {
		case r.state.Final():
		case !r.launch.Challenge.Triggered && !r.reopened:
			cmds = append(cmds, r.trigger())
		default:
			cmds = append(cmds, r.input.Focus())
			if r.reopened {
				cmds = append(cmds, r.askSandboxSMS())
			}
		}
	} else if !r.state.Final() {
		// Followed by the desk, not by this screen: it goes on after the
		// operator leaves, and a result reaches the screen as a change
		// (changedMsg). Only a provider that may be polled is asked.
		r.follow.Watch()
	}
	return tea.Batch(cmds...)
}

func (r resultModel) tick() tea.Cmd {
	gen := r.gen
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

// refresh is the operator's r: one status request, unless one is in
// flight; the desk refuses it, sending nothing, when asked again sooner
// than the provider allows (iDenfy: once per 10 s).
func (r *resultModel) refresh() tea.Cmd {
	if r.inFlight || r.entry.Client == nil || r.isChallenge() {
		return nil
	}
	r.inFlight = true
	gen, id, f := r.gen, r.sessionID, r.follow
	ctx, wire := r.capturing(context.Background())
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		st, err := f.Refresh(ctx)
		return statusMsg{gen: gen, sessionID: id, status: st, err: err, wire: wire.Exchanges()}
	}
}

// changed takes what the history now holds for the session (a callback,
// the desk's follower, another screen recorded it).
// changed follows a change of session id; it reports whether the screen
// shows something new: a served desk hears of its own launch's commits
// and of rechecks ("") that find the session as it is drawn.
func (r *resultModel) changed(id string, seq int64) tea.Cmd {
	// "" is a resync (the store's feed reconnected): anything may have changed.
	if r.sessionID == "" || (id != "" && id != r.sessionID) {
		return nil
	}
	if seq != 0 && seq <= r.seq {
		// What the screen shows is this event or a later one: the desk's
		// own launch, heard again from the store's feed (issue 18).
		return nil
	}
	// The store is read off the event loop: on PostgreSQL a read is a
	// round trip, and a served desk's Update holds one of the server's
	// console slots, which the other desks wait for.
	r.reads++
	gen, read, f := r.gen, r.reads, r.follow
	return func() tea.Msg {
		st, seq, ok := f.Recorded()
		return recordedMsg{gen: gen, read: read, status: st, seq: seq, ok: ok}
	}
}

// recorded applies the store's answer to changed; it reports whether
// what the screen shows changed. An answer for another result screen, or
// one a later read supersedes, is dropped.
func (r *resultModel) recorded(msg recordedMsg) bool {
	if msg.gen != r.gen || msg.read != r.reads || !msg.ok {
		return false
	}
	r.seq = msg.seq
	st := msg.status
	state, detail, fields, focused := r.state, r.detail, r.fields, r.input.Focused()
	r.setState(st)
	if r.isChallenge() && r.state.Final() {
		r.input.Blur()
	}
	// How the result comes is shown too: a relay's phase moves on (the
	// customer's phone opened the link) with no status recorded.
	how := r.follow.How()
	moved := how != r.how
	r.how = how
	return moved || r.state != state || r.detail != detail || !reflect.DeepEqual(r.fields, fields) || r.input.Focused() != focused
}

// The QR grows with the window, in whole cells per module, while the
// side panel keeps minInfoWidth columns and the code at most qrHeightShare
// of the height: a larger code scans from further away, and past that a
// phone has to step back to get it in frame (qr.MaxScale caps it too).
const (
	minInfoWidth  = 30
	qrHeightShare = 0.8
)

// sizeCode picks the QR's scale for the screen's size (cached per URL and
// scale by package qr); small windows keep one module per cell.
func (r *resultModel) sizeCode() {
	if r.launch.URL == "" || r.codeErr != nil {
		return
	}
	base, err := qr.Render(r.launch.URL)
	if err != nil {
		return
	}
	k := qr.ScaleToFit(base, r.w-2-minInfoWidth, int(float64(r.h)*qrHeightShare))
	if c, err := qr.RenderScaled(r.launch.URL, k); err == nil {
		r.code = c
	}
}

// SetSize takes the footer's line too: the result draws its own keys
// (Footerless).
func (r *resultModel) SetSize(w, h int) tea.Cmd {
	h++
	r.w, r.h = w, h
	r.input.Width = min(20, max(6, w-30))
	r.sizeCode()
	r.wire.setSize(w, h-1) // its keys take the last line
	return nil
}

func (r *resultModel) Footerless() bool { return true }

func (r *resultModel) Keys() help.KeyMap {
	k := r.ctx.Keys
	if r.wire.open {
		return bindings{short: wireKeys(k), extra: []key.Binding{k.Quit}}
	}
	// w only once there is an answer to show (a session reopened from
	// the history has none: raw answers are never stored).
	var wire []key.Binding
	if len(r.wire.ex) > 0 {
		wire = []key.Binding{k.Wire}
	}
	if r.isChallenge() {
		if r.state.Final() {
			return bindings{short: append([]key.Binding{k.Next, k.Back}, wire...), extra: []key.Binding{k.Quit}}
		}
		return bindings{short: append([]key.Binding{k.Verify, k.Trigger, k.Next, k.Back}, wire...), extra: []key.Binding{k.Quit}}
	}
	// Beside the QR the short list keeps to what a desk uses; w is in the
	// full help (?). A link no longer usable is not offered to copy or open.
	if r.linkDead() {
		return bindings{short: []key.Binding{k.Status, k.Next, k.Back, k.Help}, extra: append(wire, k.QuitQ, k.Quit)}
	}
	return bindings{short: []key.Binding{k.Copy, k.Open, k.Status, k.Next, k.Back, k.Help}, extra: append(wire, k.QuitQ, k.Quit)}
}

func (r *resultModel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tickMsg:
		if msg.gen != r.gen || r.stopped {
			return nil
		}
		// A hosted link's lifetime being over decides nothing: a customer
		// who opened it in time may still be finishing (iDenfy's
		// sessionLength), so the result still comes by callback, by the
		// desk's follower or on r. A one-time code's lifetime is the
		// authentication's, and that one the desk decides.
		if !r.expiryChecked {
			if st := r.follow.ChallengeExpired(r.state, r.ctx.now()); st != nil {
				r.expiryChecked = true
				r.setState(st)
			}
		}
		return r.tick()
	case statusMsg:
		if msg.gen != r.gen {
			return nil
		}
		r.inFlight = false
		r.wire.add(msg.wire)
		var soon *desk.TooSoonError
		if errors.As(msg.err, &soon) {
			r.lastErr = soon.Error()
			return nil
		}
		if msg.err != nil {
			pe := providers.AsError(r.ctx.Desk.Explain(msg.err))
			r.lastErr = pe.Error() + actionSuffix(pe)
			return nil
		}
		r.lastErr = ""
		r.setState(msg.status)
		return nil
	case sandboxSMSMsg:
		r.gotSandboxSMS(msg)
		return nil
	case challengeMsg:
		if msg.gen != r.gen {
			return nil
		}
		r.triggering = false
		r.wire.add(msg.wire)
		if msg.err != nil {
			pe := providers.AsError(msg.err)
			r.lastErr = pe.Error() + actionSuffix(pe)
			return r.input.Focus()
		}
		r.lastErr = ""
		r.launch.Challenge = msg.challenge
		r.sentAt = r.ctx.now()
		r.flash = "code sent to " + clean(msg.challenge.RenderValue)
		return r.input.Focus()
	case verifyMsg:
		if msg.gen != r.gen {
			return nil
		}
		r.verifying = false
		r.flash = ""
		r.wire.add(msg.wire)
		if msg.err != nil {
			pe := providers.AsError(msg.err)
			r.lastErr = pe.Error() + actionSuffix(pe)
			r.input.SetValue("")
			return nil
		}
		r.lastErr = ""
		r.setState(msg.status)
		if r.state.Final() {
			r.input.Blur()
		}
		return nil
	case flashMsg:
		r.flash, r.flashErr = msg.text, msg.err != nil
		if msg.err != nil {
			r.flash = msg.err.Error()
		}
		return nil
	case tea.KeyMsg:
		return r.handleKey(msg)
	}
	return nil
}

func actionSuffix(e *providers.Error) string {
	if e.Action == "" {
		return ""
	}
	return " — " + e.Action
}

func (r *resultModel) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := r.ctx.Keys
	var cmd tea.Cmd
	var took bool
	if r.wire, cmd, took = r.wire.handleOpen(msg, k); took {
		return cmd
	}
	// w is a letter of no one-time code: it opens the raw answers unless
	// something is typed.
	if key.Matches(msg, k.Wire) && len(r.wire.ex) > 0 && (!r.Typing() || r.input.Value() == "") {
		r.wire.toggle()
		return nil
	}
	if key.Matches(msg, k.Back) {
		back := r.back
		if back == nil {
			back = goHomeMsg{}
		}
		return func() tea.Msg { return back }
	}
	if r.isChallenge() && !r.state.Final() {
		switch {
		case key.Matches(msg, k.Verify):
			code := strings.TrimSpace(r.input.Value())
			if code == "" {
				r.lastErr = "type the code the customer received, then enter"
				return nil
			}
			return r.verify(code)
		case msg.String() == "ctrl+r" || (key.Matches(msg, k.Trigger) && r.input.Value() == ""):
			return r.trigger()
		case key.Matches(msg, k.Next) && r.input.Value() == "":
			return r.next()
		}
		var cmd tea.Cmd
		r.input, cmd = r.input.Update(msg)
		return cmd
	}
	switch {
	case key.Matches(msg, k.Next):
		return r.next()
	case key.Matches(msg, k.Status):
		return r.refresh()
	case key.Matches(msg, k.Copy) && r.launch.URL != "" && !r.linkDead():
		u, ctx := r.launch.URL, r.ctx // the command runs off the update loop
		return func() tea.Msg {
			return flashMsg{text: "asked the terminal to copy the URL (OSC 52; some terminals need it enabled)", err: ctx.Copy(u)}
		}
	case key.Matches(msg, k.Open) && r.launch.URL != "" && !r.linkDead():
		u, ctx := r.launch.URL, r.ctx
		return func() tea.Msg {
			if err := ctx.Open(u); err != nil {
				return flashMsg{err: fmt.Errorf("cannot open a browser here: %v (copy the URL with c)", err)}
			}
			return flashMsg{text: "opened in the browser"}
		}
	}
	return nil
}

func (r *resultModel) setState(st *providers.Status) {
	if st == nil {
		return
	}
	changed := st.State != r.state || clean(st.Detail) != r.detail
	if st.State != r.state {
		r.flash, r.flashErr = "", false // "opened in the browser" is not news after the result
	}
	r.state = st.State
	r.detail = clean(st.Detail)
	// What the provider read from a document is masked.
	r.fields = providers.MaskPersonalFields(st.Fields)
	if changed { // the desk has recorded it (Follow)
		r.history = append(r.history, *st)
	}
}

func (r *resultModel) View() string {
	if r.wire.open {
		return r.wire.view(r.ctx.Styles) + "\n" + r.keyHints(max(20, r.w))
	}
	if r.isChallenge() {
		return r.challengeView()
	}
	info, noteEnd := r.infoView(false)
	// Feedback (copy, open, a failed status query) has its own line
	// above the keys, which no layout cuts: the info above it is cut first.
	hints := r.keyHints(max(20, r.w))
	if st := r.statusLine(max(20, r.w)); st != "" {
		hints = st + "\n" + hints
	}
	if r.code == nil || r.linkDead() {
		msg := "no URL to show as a QR"
		switch {
		case r.linkDead() && outcomeGuidance(r.state) != "":
			msg = outcomeGuidance(r.state) + " (No QR: the link is no longer usable.)"
		case r.linkDead():
			msg = "The link is no longer usable (" + string(r.state) + "): no QR. n starts a new session."
		case r.codeErr != nil:
			msg = "cannot draw a QR: " + r.codeErr.Error()
		}
		body := r.ctx.Styles.Warn.Render(wrap(msg, max(20, r.w))) + "\n" + wrapBlock(info, max(20, r.w))
		return fit(body, r.w, max(1, r.h-lipglossHeight(hints))) + "\n" + hints
	}
	infoW := r.w - r.code.Width - 2
	if r.code.Height <= r.h && infoW >= minInfoWidth {
		// Side by side, joined by hand: the QR lines have a known width,
		// so there is nothing to measure (lipgloss.JoinHorizontal would
		// parse every escape sequence of the code on every frame). The
		// key hints always keep their place at the bottom of the panel.
		side := r.keyHints(infoW)
		if st := r.statusLine(infoW); st != "" {
			side = st + "\n" + side
		}
		sideH := lipglossHeight(side)
		room := max(1, r.code.Height-sideH)
		block := wrapBlock(info, infoW)
		if noteEnd > 0 && lipglossHeight(wrapBlock(info[:noteEnd], infoW)) > room {
			// The loopback note's command would be cut mid-way: its short
			// form, before the references, says what matters.
			short, _ := r.infoView(true)
			block = wrapBlock(short, infoW)
		}
		infoLines := strings.Split(fit(block, infoW, room)+"\n"+side, "\n")
		qrLines := r.code.LinesIn(r.ctx.Styles.QR)
		var b strings.Builder
		for i, l := range qrLines {
			b.WriteString(l)
			if i < len(infoLines) {
				b.WriteString("  ")
				b.WriteString(infoLines[i])
			}
			if i < len(qrLines)-1 {
				b.WriteByte('\n')
			}
		}
		return b.String()
	}
	if r.code.Height+lipglossHeight(info)+1 <= r.h && r.code.Width <= r.w {
		return r.code.In(r.ctx.Styles.QR) + "\n" + info + "\n" + hints
	}
	needW := max(r.code.Width+32, MinWidth)
	needH := r.code.Height + 1 // the banner
	warn := r.ctx.Styles.Warn.Render(wrap(fmt.Sprintf("The window is too small for a scannable QR: enlarge it to at least %d×%d (now %d×%d), or copy the URL with c.", needW, needH, r.ctx.Width, r.ctx.Height), max(10, r.w)))
	return fit(warn+"\n"+wrapBlock(info, max(20, r.w)), r.w, max(1, r.h-lipglossHeight(hints))) + "\n" + hints
}

// linkDead reports whether the hosted-flow link can no longer be used: a
// QR of it would only send the customer to an error page.
// clock is what the once-a-second tick can change on the screen: for a
// hosted link (the QR), the countdown as shown ("23h 59m" changes once a
// minute), the day (the expiry's layout) and the state; a challenge screen
// counts seconds, so every tick shows there. A tick that changes none of
// it draws nothing (issue 18: 500 desks waiting on their QR redrew it
// every second).
func (r resultModel) clock() any {
	now := r.ctx.now()
	if r.isChallenge() {
		return now
	}
	left := ""
	if !r.launch.ExpiresAt.IsZero() {
		if d := r.launch.ExpiresAt.Sub(now); d > 0 {
			left = human(d)
		} else {
			left = "over"
		}
	}
	y, mo, d := now.Local().Date()
	return [...]any{left, y, mo, d, r.state, r.expiryChecked}
}

// linkDead: the session is over (decided, closed out by an operator, or
// failed), or its single-use link may have been spent: no QR to scan.
func (r resultModel) linkDead() bool {
	return session.StateFinal(r.state) || r.launch.SingleUse && r.state == providers.StateUnknown
}

func lipglossHeight(s string) int { return strings.Count(s, "\n") + 1 }

func wrapBlock(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = wrap(l, w)
	}
	return strings.Join(lines, "\n")
}

// infoView is the session's information beside (or under) its QR;
// compact gives the loopback note in its short form. noteEnd is where
// the full loopback note ends in info (0: none), for the layout to see
// whether it would be cut.
func (r resultModel) infoView(compact bool) (info string, noteEnd int) {
	s := r.ctx.Styles
	now := r.ctx.now()
	var b strings.Builder
	b.WriteString(modeTag(r.ctx, r.follow.Mode) + " " + s.Title.Render(r.entry.Desc.Name+" session") + "  " + r.stateView() + "\n")
	if r.sessionID != "" {
		b.WriteString(s.Subtle.Render("session ") + r.sessionID + "\n")
	}
	loopback := r.launch.URL != "" && loopbackOnly(r.launch.URL) && !r.linkDead()
	if compact && loopback {
		// Where the panel is short, the short note comes before the
		// references, which are cut first.
		b.WriteString(s.Warn.Render(loopbackShortNote(r.ctx.Desk.Operator() != "")) + "\n")
	}
	for _, k := range sortedKeys(r.launch.References) {
		b.WriteString(s.Subtle.Render(k+" ") + clean(r.launch.References[k]) + "\n")
	}
	for _, k := range sortedKeys(r.launch.Extra) {
		b.WriteString(s.Subtle.Render(k+" ") + clean(r.launch.Extra[k]) + "\n")
	}
	if !r.launch.ExpiresAt.IsZero() && !r.linkDead() {
		left := r.launch.ExpiresAt.Sub(now)
		if left > 0 {
			at := r.launch.ExpiresAt.Local()
			layout := "15:04:05"
			if y, m, d := now.Local().Date(); at.Year() != y || at.Month() != m || at.Day() != d {
				layout = "Jan 2 15:04"
			}
			b.WriteString(s.Subtle.Render("expires in ") + human(left) + s.Subtle.Render(" at "+at.Format(layout)) + "\n")
		} else if r.follow.AutoPolls() || r.follow.Callbacks {
			b.WriteString(s.Warn.Render("the link's lifetime is over") + " — a customer who opened it in time may still finish; n starts a new session\n")
		} else {
			b.WriteString(s.Warn.Render("the link's lifetime is over") + " — r asks whether the customer finished in time; n starts a new session\n")
		}
	}
	if r.launch.URL != "" {
		b.WriteString(s.Subtle.Render("URL ") + clean(r.launch.URL) + "\n")
		if loopback && !compact {
			for _, l := range strings.Split(loopbackNote(r.launch.URL, r.ctx.Desk.SandboxNote() != "", r.ctx.Desk.Operator() != ""), "\n") {
				b.WriteString(s.Warn.Render(l) + "\n")
			}
			noteEnd = b.Len() - 1 // before its last newline
		}
	}
	if r.detail != "" {
		b.WriteString(s.Subtle.Render("detail ") + r.detail + "\n")
	}
	for _, k := range sortedKeys(r.fields) {
		b.WriteString(s.Subtle.Render(k+" ") + clean(r.fields[k]) + "\n")
	}
	if at := r.follow.CheckedAt(); !at.IsZero() {
		b.WriteString(s.Subtle.Render("checked at ") + at.Local().Format("15:04:05") + "\n")
	}
	if how := r.follow.How(); how != "" && !r.state.Final() {
		b.WriteString(s.Subtle.Render(how) + "\n")
	}
	// The provider's notes come last: on a small screen they are what is
	// cut. They speak of the live link (how long it works, not to issue
	// another token meanwhile): once the link is dead they would
	// contradict the result, so they go.
	if !r.linkDead() {
		for _, n := range r.launch.Notes {
			b.WriteString(s.Subtle.Render(clean(n)) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n"), noteEnd
}

// statusLine is the screen's feedback, wrapped to w: a failed status
// query, then what the last key did ("" = nothing to say).
func (r resultModel) statusLine(w int) string {
	s := r.ctx.Styles
	var lines []string
	if r.lastErr != "" {
		lines = append(lines, s.Error.Render(wrap("status: "+clean(r.lastErr), w)))
	}
	if r.flash != "" {
		st := s.OK
		if r.flashErr {
			st = s.Error
		}
		lines = append(lines, st.Render(wrap(clean(r.flash), w)))
	}
	return strings.Join(lines, "\n")
}

// keyHints lists the screen's keys in the side panel (this screen has no
// footer, to leave the height to the QR), w columns wide: lines break
// between keys, so a key stays with what it does ("r" / "refresh status"
// on two lines read as two things).
func (r resultModel) keyHints(w int) string {
	var parts []string
	for _, k := range r.Keys().ShortHelp() {
		h := k.Help()
		parts = append(parts, r.ctx.Styles.Key.Render(h.Key)+" "+r.ctx.Styles.Subtle.Render(h.Desc))
	}
	return wrapKeys(parts, " · ", w)
}

// wrapKeys joins key hints with sep into lines of at most w columns,
// breaking only between hints (a hint wider than w is wrapped alone).
func wrapKeys(parts []string, sep string, w int) string {
	lines := keybar.Lines(parts, sep, w)
	for i, l := range lines {
		lines[i] = wrap(l, w)
	}
	return strings.Join(lines, "\n")
}

func (r resultModel) stateView() string {
	s := r.ctx.Styles
	st := strings.ToUpper(string(r.state))
	switch r.state {
	case providers.StateApproved:
		return s.OK.Render(st)
	case providers.StateDenied, providers.StateSuspected, providers.StateExpired:
		return s.Error.Render(st)
	}
	if r.inFlight {
		st += " (checking…)"
	}
	return s.Warn.Render(st)
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if v != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
