package ui

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/internal/keybar"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

type screen int

const (
	screenHome screen = iota
	screenForm
	screenReview
	screenLaunching
	screenResult
	screenError
	screenSessions
	screenProfile
	screenBoard
	screenCount
)

// MinWidth and MinHeight are the smallest terminal the console draws in.
const (
	MinWidth  = 60
	MinHeight = 16
)

// Model is the root model.
type Model struct {
	ctx    *Context
	screen screen
	help   help.Model
	full   bool // full help shown
	// quitAsk is set when a quit would lose something (a filled form, a
	// pending QR of the in-process sandbox): it says what, and a second
	// ctrl+c or y quits.
	quitAsk string
	// footerH is the footer's height the screen was sized for: a key bar
	// wider than the window wraps (footerLines), and the body gives up
	// the lines.
	footerH int

	home      homeModel
	form      formModel
	review    reviewModel
	launching launchingModel
	result    resultModel
	errs      errorModel
	sessions  sessionsModel
	profile   profileModel
	board     boardModel

	// seq numbers async requests; replies carrying an older number are stale.
	seq int

	// view caches the last rendered frame; Update marks it dirty whenever
	// a message may have changed what is shown. Bubble Tea calls View after
	// every message, including ones that change nothing on screen.
	view  string
	dirty bool
	// drawnClock is the result screen's clock (resultModel.clock) when
	// the cached frame was drawn: a tick redraws when it has moved on.
	drawnClock any
	// ageTicking: an ageTickMsg is on its way.
	ageTicking bool
	// onScreen is the session last reported to ctx.OnScreen.
	onScreen string
	// footerMemo keeps the footer's lines and what they were drawn from.
	footerMemo struct {
		id    string
		lines []string
	}
	// watching is what the screen shown draws from the change feed.
	watching atomic.Pointer[watch]
	// drops are the changes the listener dropped since watching was
	// published (take, publishWatch).
	drops drops
}

// New builds the console.
func New(ctx *Context) *Model {
	m := newModel(ctx)
	m.home = newHome(ctx)
	m.sessions = newSessions(ctx)
	m.board = newBoard(ctx)
	return m
}

// newModel is a console without its screens: ctx's styles and keys, the
// help.
func newModel(ctx *Context) *Model {
	ctx.Styles = newStyles(ctx.Renderer)
	ctx.Keys = newKeyMap()
	m := &Model{ctx: ctx, help: help.New()}
	m.help.Styles = ctx.Styles.Help
	return m
}

// Init implements tea.Model: listen to the desk's change feed, and tick
// the ages on home.
func (m *Model) Init() tea.Cmd {
	m.publishWatch()
	if m.screen == screenBoard { // kycdesk board
		return tea.Batch(m.listen(), m.board.load(), m.board.poll())
	}
	return tea.Batch(m.listen(), m.ageTick(), m.resume())
}

// resume opens ctx.ResumeSession's screen, as from the sessions list; a
// session that cannot be followed leaves the console at home.
func (m *Model) resume() tea.Cmd {
	id, d := m.ctx.ResumeSession, m.ctx.Desk
	if id == "" {
		return nil
	}
	return func() tea.Msg {
		f, row, err := d.Resume(id)
		if err != nil {
			return nil
		}
		return showSessionMsg{follow: f, row: row}
	}
}

// reportScreen tells ctx.OnScreen which session is on screen, when that
// changed.
func (m *Model) reportScreen() {
	id := ""
	if m.screen == screenResult {
		id = m.result.sessionID
	}
	if id != m.onScreen && m.ctx.OnScreen != nil {
		m.onScreen = id
		m.ctx.OnScreen(id)
	}
}

// listen waits for the next change the desk announces (a callback, its
// follower, another screen) and hands it to Update as a changedMsg.
func (m *Model) listen() tea.Cmd {
	d := m.ctx.Desk
	ch := d.Changes()
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		for {
			select {
			case c := <-ch:
				if m.take(c) {
					return changedMsg{id: c.ID, seq: c.Seq}
				}
			case <-d.Closed():
				return nil
			}
		}
	}
}

// watch is what the screen shown draws from the desk's change feed. The
// feed's listener reads it (Model.watching, published after each
// message) and drops every other change before it becomes a message: on
// a serve of hundreds of desks each launch's changes reached every desk,
// each one a message, an update and a frame for desks that show none of
// it (issue 18).
type watch struct {
	screen  screen
	session string // the result screen's session
}

// wants reports whether the screen shown draws change id ("": anything
// may have changed). Called by the listener, off the program's loop.
func (m *Model) wants(id string) bool {
	w := m.watching.Load()
	if w == nil {
		return true
	}
	switch w.screen {
	case screenBoard:
		return true
	case screenHome, screenSessions:
		return m.ctx.Desk.Affects(id)
	case screenResult:
		return id == "" || id == w.session
	}
	return false
}

// publishWatch tells the listener what the screen now shows. A screen
// that shows changes and has just become the one shown reads the store
// once more (recheckMsg): what changed between its load and now went to
// a listener that was not listening for it.
func (m *Model) publishWatch() tea.Cmd {
	w := watch{screen: m.screen}
	if m.screen == screenResult {
		w.session = m.result.sessionID
	}
	old := m.watching.Load()
	if old != nil && *old == w {
		return nil
	}
	m.drops.mu.Lock()
	m.watching.Store(&w)
	dropped := m.drops.taken()
	m.drops.mu.Unlock()
	if old == nil {
		return nil // the first screen: what it loaded is what it shows
	}
	switch w.screen {
	case screenHome, screenSessions, screenBoard, screenResult:
		return func() tea.Msg { return recheckMsg{dropped: dropped} }
	}
	return nil
}

// take reports whether the screen shown draws change c (wants), and
// keeps what it drops for the next screen's recheck; the listener calls
// it, as publishWatch changes the screen watched.
func (m *Model) take(c desk.Change) bool {
	m.drops.mu.Lock()
	defer m.drops.mu.Unlock()
	if m.wants(c.ID) {
		return true
	}
	m.drops.add(c)
	return false
}

// drops are changes the listener dropped: each session's latest event
// (0: not known; "": anything may have changed).
type drops struct {
	mu   sync.Mutex
	seqs map[string]int64
	all  bool // more than maxDrops sessions: anything may have changed
}

// maxDrops bounds the sessions drops remembers.
const maxDrops = 1000

func (d *drops) add(c desk.Change) {
	if d.all {
		return
	}
	if d.seqs == nil {
		d.seqs = map[string]int64{}
	}
	if had, ok := d.seqs[c.ID]; ok {
		d.seqs[c.ID] = session.LaterSeq(had, c.Seq)
	} else if len(d.seqs) >= maxDrops {
		d.all, d.seqs = true, nil
	} else {
		d.seqs[c.ID] = c.Seq
	}
}

// taken is what was dropped, and forgets it; d.mu is held.
func (d *drops) taken() dropped {
	out := dropped{seqs: d.seqs, all: d.all}
	d.seqs, d.all = nil, false
	return out
}

// dropped is what the listener dropped before a screen was watched.
type dropped struct {
	seqs map[string]int64
	all  bool
}

// newer reports whether a change of session id later than event shown
// (0: not known) may be among them.
func (d dropped) newer(id string, shown int64) bool {
	if d.all || shown == 0 {
		return true
	}
	if _, ok := d.seqs[""]; ok {
		return true
	}
	seq, ok := d.seqs[id]
	return ok && (seq == 0 || seq > shown)
}

// ageTick starts the once-a-second redraw of home and the sessions list,
// unless one is already on its way.
func (m *Model) ageTick() tea.Cmd {
	if m.ageTicking || (m.screen != screenHome && m.screen != screenSessions) {
		return nil
	}
	m.ageTicking = true
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return ageTickMsg{} })
}

// nextID returns a fresh request id.
func (m *Model) nextID() int { m.seq++; return m.seq }

// pages is the page list, indexed by screen: every screen behind the one
// component interface, dispatched and sized here and nowhere else.
func (m *Model) pages() [screenCount]component {
	return [screenCount]component{
		screenHome: &m.home, screenForm: &m.form, screenReview: &m.review, screenLaunching: &m.launching,
		screenResult: &m.result, screenError: &m.errs, screenSessions: &m.sessions, screenProfile: &m.profile,
		screenBoard: &m.board,
	}
}

// page is the screen shown.
func (m *Model) page() component { return m.pages()[m.screen] }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.update(msg)
	m.reportScreen()
	if c := m.publishWatch(); c != nil {
		cmd = tea.Batch(cmd, c)
	}
	if h := m.footerHeight(); h != m.footerH && m.ctx.Width > 0 {
		m.footerH = h
		cmd = tea.Batch(cmd, m.resize())
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	pending := m.dirty // a frame not drawn yet is still to be drawn
	m.dirty = true
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.Width, m.ctx.Height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, m.resize()
	case tea.KeyMsg:
		return m, m.key(typedText(msg))
	case tea.MouseMsg:
		if m.tooSmall() {
			return m, nil
		}
	case goHomeMsg:
		return m, m.goHome()
	case startFormMsg:
		return m, m.startForm(msg)
	case startProfileMsg:
		return m, m.startProfile(msg)
	case reviewMsg:
		m.review = newReview(m.ctx, msg.draft)
		return m, m.show(screenReview)
	case launchMsg:
		return m, m.startLaunch(msg.draft, "")
	case retryMsg:
		return m, m.startLaunch(msg.draft, msg.sessionID)
	case launchDoneMsg:
		if msg.id != m.launching.id || m.screen != screenLaunching {
			m.dirty = false
			return m, nil // stale: cancelled or superseded
		}
		return m, m.finishLaunch(msg)
	case showErrorMsg:
		m.errs = newErrorModel(m.ctx, msg.title, providers.AsError(m.ctx.Desk.Explain(msg.err)), msg.retry)
		return m, m.show(screenError)
	case showSessionMsg:
		m.result = newResult(m.ctx, msg.follow, msg.row.Values)
		m.result.state = msg.row.State
		m.result.history = msg.row.History
		m.result.reopened = true
		if m.result.launch.Challenge != nil && providers.CodeSentAt(m.result.launch).IsZero() {
			m.result.sentAt = time.Time{} // not known: not "0s ago"
		}
		m.result.back = msg.back
		if m.result.back == nil {
			m.result.back = showSessionsMsg{}
		}
		if n := len(msg.row.History); n > 0 {
			m.result.detail = clean(msg.row.History[n-1].Detail)
		}
		return m, tea.Batch(m.result.init(), m.show(screenResult))
	case showSessionsMsg:
		m.sessions.flash = "" // said about an earlier visit
		return m, tea.Batch(m.sessions.load(), m.show(screenSessions))
	case showBoardMsg, boardLoadedMsg, boardAgainMsg, boardPollMsg:
		return m, m.boardMsg(msg)
	case changedMsg:
		return m, tea.Batch(m.changedTo(msg.id, msg.seq, pending), m.listen())
	case recheckMsg:
		if m.screen == screenResult && !msg.dropped.newer(m.result.sessionID, m.result.seq) {
			// A launch's result screen shows the outcome it recorded: a
			// change dropped while it launched is that one or an earlier
			// one (issue 18).
			m.dirty = pending
			return m, nil
		}
		return m, m.changed("", pending)
	case homeReadMsg:
		before := m.home.shown()
		shows := m.screen == screenHome && m.home.loaded(msg) && !reflect.DeepEqual(before, m.home.shown())
		m.dirty = pending || shows
		return m, nil
	case sessionsReadMsg:
		before := m.sessions.shown()
		shows := m.screen == screenSessions && m.sessions.loaded(msg) && !reflect.DeepEqual(before, m.sessions.shown())
		m.dirty = pending || shows
		return m, nil
	case recordedMsg:
		shows := m.screen == screenResult && m.result.recorded(msg)
		m.dirty = pending || shows
		return m, nil
	case tickMsg:
		if m.screen == screenResult {
			// Compared with the frame on screen, not with the clock just
			// before this tick: the two are the same instant, and the
			// countdown stood still until a key was pressed.
			cmd := m.page().Update(msg)
			m.dirty = pending || !reflect.DeepEqual(m.drawnClock, m.result.clock())
			return m, cmd
		}
		// A result screen no longer shown: its countdown stops here, and
		// nothing shown changed.
		m.dirty = pending
		return m, nil
	case spinner.TickMsg:
		if m.screen != screenLaunching {
			m.dirty = pending // the spinner of a launch no longer shown stops
			return m, nil
		}
	case ageTickMsg:
		m.ageTicking = false
		if m.screen != screenHome && m.screen != screenSessions {
			m.dirty = pending
			return m, nil // shown again, they start it again
		}
		return m, m.ageTick()
	}
	if (m.screen == screenForm || m.screen == screenProfile) && forms.IsBlink(msg) {
		m.dirty = pending // a form's cursor does not blink (forms.IsBlink)
		return m, nil
	}
	return m, m.page().Update(msg)
}

// changed takes a change of session id ("": anything may have changed):
// every screen showing the session changes at once; the others reload
// when shown. A screen is drawn again only when what it shows changed.
func (m *Model) changed(id string, pending bool) tea.Cmd { return m.changedTo(id, 0, pending) }

// changedTo is changed for a notice that says the change is event seq
// (0: not known): a result screen that shows it or a later one reads
// nothing.
func (m *Model) changedTo(id string, seq int64, pending bool) tea.Cmd {
	switch m.screen {
	case screenHome:
		m.dirty = pending // another desk's session is not listed here; this desk's: homeReadMsg
		if m.ctx.Desk.Affects(id) {
			return m.home.load()
		}
	case screenSessions:
		if !m.ctx.Desk.Affects(id) {
			m.dirty = pending
			break
		}
		m.dirty = pending // until the store's answer (sessionsReadMsg) shows something new
		return m.sessions.load()
	case screenBoard:
		return m.board.changed()
	case screenResult:
		m.dirty = pending // until the store's answer (recordedMsg) shows something new
		return m.result.changed(id, seq)
	default:
		m.dirty = pending
	}
	return nil
}

// key handles a key: the console's own keys first, then the screen's.
func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	k := m.ctx.Keys
	if key.Matches(msg, k.Quit) {
		return m.quit()
	}
	if m.quitAsk != "" { // y (or a second ctrl+c) quits, any other key stays
		if msg.String() == "y" {
			m.quitAsk = ""
			m.cancelInFlight()
			return tea.Quit
		}
		m.quitAsk = ""
		return nil
	}
	if m.tooSmall() {
		// The screen is hidden behind the "too small" message: a key must
		// not act on what the operator cannot see.
		return nil
	}
	if m.full && key.Matches(msg, k.Back) {
		m.full = false
		return nil
	}
	typing := m.page().Typing()
	if key.Matches(msg, k.Help) && (!typing || !m.questionIsText()) {
		m.full = !m.full
		return nil
	}
	if !typing && key.Matches(msg, k.QuitQ) && m.screen != screenLaunching {
		return m.quit()
	}
	return m.page().Update(msg)
}

// questionIsText reports whether "?" is a character of the field being
// typed in: not in a one-time-code field (digits), where it opens help.
func (m *Model) questionIsText() bool {
	return !(m.screen == screenResult && m.result.isChallenge())
}

// quit quits, or first asks when quitting would lose something.
func (m *Model) quit() tea.Cmd {
	if m.quitAsk == "" {
		if what := m.wouldLose(); what != "" {
			m.quitAsk = what
			return nil
		}
	}
	m.quitAsk = ""
	m.cancelInFlight()
	return tea.Quit
}

// wouldLose says what quitting now would lose, or "".
func (m *Model) wouldLose() string {
	switch m.screen {
	case screenForm:
		if len(m.form.form.Values()) > 0 {
			return "the form's values are not saved"
		}
	case screenProfile:
		if m.profile.filled() {
			return "what you typed is not saved"
		}
	case screenReview:
		return "the reviewed request was not sent"
	case screenResult:
		r := &m.result
		if !r.state.Final() && r.follow != nil && r.follow.Mode == providers.ModeSandbox && m.ctx.Desk.SandboxNote() != "" {
			return "the customer's link dies with this console's in-process sandbox"
		}
	}
	// Away from its screen a pending session of the in-process sandbox
	// is still a customer's live link (it is followed all the while).
	if n := m.liveInProcess(); n > 0 {
		return fmt.Sprintf("%d pending session(s) of this console's in-process sandbox: their links die with it", n)
	}
	return ""
}

// liveInProcess counts the recent pending sessions whose links the
// in-process sandbox serves (none without one).
func (m *Model) liveInProcess() int {
	d := m.ctx.Desk
	if d.SandboxNote() == "" || d.Mode() != providers.ModeSandbox {
		return 0
	}
	n, now := 0, m.ctx.now()
	for _, r := range d.Recent(providers.ModeSandbox, 50) {
		if r.Endpoint == d.SandboxURL() && !closed(r) && !r.OutcomeUnknown && (r.ExpiresAt.IsZero() || now.Before(r.ExpiresAt)) {
			n++
		}
	}
	return n
}

// tooSmall reports whether the window is below the minimum (the screen is
// hidden behind a message then).
func (m *Model) tooSmall() bool {
	return m.ctx.Width > 0 && m.ctx.Height > 0 && (m.ctx.Width < MinWidth || m.ctx.Height < MinHeight)
}

// show makes s the screen shown, sized to the window.
func (m *Model) show(s screen) tea.Cmd {
	m.screen = s
	m.ctx.Desk.SetActivity(m.doing())
	return tea.Batch(m.resize(), m.ageTick())
}

func (m *Model) cancelInFlight() {
	if m.launching.cancel != nil {
		m.launching.cancel()
	}
}

// resize sizes the screen shown; each screen is sized when shown.
func (m *Model) resize() tea.Cmd {
	w, h := m.bodySize()
	return m.page().SetSize(w, h)
}

// bodySize is the area between the banner and the footer.
func (m *Model) bodySize() (int, int) {
	return m.ctx.Width, max(0, m.ctx.Height-1-max(1, m.footerH))
}

// footerLines is the footer: the screen's keys, or the quit question,
// wrapped between keys (never inside one) to the window's width.
func (m *Model) footerLines() []string {
	w := m.ctx.Width
	if m.quitAsk != "" {
		return strings.Split(m.ctx.Styles.Warn.Render(wrap("Quit? "+m.quitAsk+". y or ctrl+c quits, any other key stays.", max(20, w))), "\n")
	}
	// The footer is worked out again only when its keys or the width
	// changed: Update asks for its height after every message (issue 18:
	// a quarter of a 300-desk server's CPU went to drawing it anew).
	var id strings.Builder
	id.WriteString(strconv.Itoa(w) + "\x00")
	for _, k := range m.page().Keys().ShortHelp() {
		if k.Enabled() {
			id.WriteString(k.Help().Key + "\x01" + k.Help().Desc + "\x00")
		}
	}
	if m.footerMemo.id == id.String() && m.footerMemo.lines != nil {
		return m.footerMemo.lines
	}
	lines := m.drawFooter(w)
	m.footerMemo.id, m.footerMemo.lines = id.String(), lines
	return lines
}

// drawFooter is the screen's key help in lines of at most w cells,
// broken between keys.
func (m *Model) drawFooter(w int) []string {
	sep := m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator)
	lines := keybar.Lines(keybar.Views(m.help, m.page().Keys().ShortHelp()), sep, w)
	if len(lines) > 3 { // a very narrow window: the body keeps its room
		lines = lines[:3]
	}
	return lines
}

// footerHeight is the footer's height for the screen shown (one line for
// a screen that draws its own keys, or under the full help).
func (m *Model) footerHeight() int {
	if m.ctx.Width < MinWidth || m.ctx.Height < MinHeight {
		return 1
	}
	if f, ok := m.page().(footerless); ok && f.Footerless() && m.quitAsk == "" || m.full {
		return 1
	}
	return len(m.footerLines())
}

func (m *Model) goHome() tea.Cmd {
	m.cancelInFlight()
	m.result.stop()
	// Read in a command, not here: a served desk's Update holds one of the
	// server's console slots, and the store's reads are round trips on
	// PostgreSQL. Home shows what it showed last until the answer is in.
	return tea.Batch(m.home.load(), m.show(screenHome))
}

func (m *Model) startForm(msg startFormMsg) tea.Cmd {
	e := m.ctx.entry(msg.provider)
	if e == nil || e.Client == nil {
		return nil
	}
	m.result.stop()
	m.form = newForm(m.ctx, e, msg.values, msg.note, msg.only)
	m.form.retryOf = msg.retryOf
	m.form.problems = msg.problems
	cmd := tea.Batch(m.form.init(), m.show(screenForm))
	if msg.focus != "" {
		m.form.form.Focus(msg.focus)
	}
	return cmd
}

// startProfile opens a desk profile's screen.
func (m *Model) startProfile(msg startProfileMsg) tea.Cmd {
	p, err := m.ctx.Desk.Profile(msg.name)
	if err != nil {
		m.errs = newErrorModel(m.ctx, "Profile "+msg.name, providers.AsError(err), nil)
		return m.show(screenError)
	}
	m.result.stop()
	m.profile = newProfileScreen(m.ctx, p, msg.typed, msg.label, "", false)
	return tea.Batch(m.profile.init(), m.show(screenProfile))
}

// startLaunch launches dr (a retry of sessionID when set).
func (m *Model) startLaunch(dr *desk.Draft, sessionID string) tea.Cmd {
	m.launching = newLaunching(m.ctx, m.nextID(), dr)
	m.screen = screenLaunching
	return m.launching.init(m.ctx, sessionID)
}

func (m *Model) finishLaunch(msg launchDoneMsg) tea.Cmd {
	dr := m.launching.draft
	e := dr.Provider
	m.launching.cancel = nil
	if msg.err != nil {
		pe := providers.AsError(msg.err)
		var retry *retryMsg
		if pe.Kind == providers.KindUnknown && msg.outcome != nil && msg.outcome.ID != "" {
			retry = &retryMsg{draft: dr, sessionID: msg.outcome.ID}
		}
		m.errs = newErrorModel(m.ctx, "Launch "+e.Desc.Name, pe, retry)
		m.errs.entry, m.errs.values = e, dr.Values
		return m.show(screenError)
	}
	m.result = newResult(m.ctx, m.ctx.Desk.Followed(e, msg.outcome), dr.Values)
	m.result.seq = msg.outcome.Seq
	m.result.profile = dr.Profile
	m.result.wire.add(msg.outcome.Exchanges)
	if err := msg.outcome.CodeErr; err != nil {
		pe := providers.AsError(err)
		m.result.lastErr = "the code was not sent: " + pe.Error() + actionSuffix(pe)
	}
	if err := msg.outcome.RecordErr; err != nil {
		// The QR is good; the store shows the session of unknown outcome.
		m.result.lastErr = "the record could not be kept (do not launch this customer again): " + providers.SanitizeLine(err.Error())
	}
	return tea.Batch(m.result.init(), m.show(screenResult))
}

// View implements tea.Model: the cached frame, re-rendered only after a
// message that may have changed it.
func (m *Model) View() string {
	if m.dirty || m.view == "" {
		m.view = m.render()
		m.dirty = false
		m.drawnClock = nil
		if m.screen == screenResult {
			m.drawnClock = m.result.clock()
		}
	}
	return m.view
}

// render draws the frame.
func (m *Model) render() string {
	w, h := m.ctx.Width, m.ctx.Height
	if w == 0 || h == 0 {
		return ""
	}
	if w < MinWidth || h < MinHeight {
		return tooSmall(w, h, MinWidth, MinHeight)
	}
	p := m.page()
	body := p.View()
	if f, ok := p.(footerless); ok && f.Footerless() && !m.full && m.quitAsk == "" {
		return m.banner() + "\n" + fit(body, w, h-1)
	}
	var footer string
	switch {
	case m.full:
		closes := "esc or ? closes this help"
		if m.screen == screenForm || m.screen == screenProfile { // where there are fields
			closes += " · " + forms.DocKey.Help().Key + " shows a field's full documentation"
		}
		footer = m.help.FullHelpView(p.Keys().FullHelp()) + "\n" + m.ctx.Styles.Subtle.Render(wrap(closes, max(20, w)))
	default:
		footer = strings.Join(m.footerLines(), "\n")
	}
	bodyH := h - 1 - lipgloss.Height(footer)
	return m.banner() + "\n" + fit(body, w, bodyH) + "\n" + footer
}

// banner always says where requests go.
// bannerNote is the sandbox note as the banner has room for it (w
// columns): whole, else each clause's head ("in-process" of
// "in-process: URLs live while this console runs"), else nothing; never
// a note cut mid-word.
func bannerNote(note string, w int) string {
	if note == "" || lipgloss.Width(note) <= w {
		return note
	}
	var heads []string
	for _, part := range strings.Split(note, "; ") {
		head, _, _ := strings.Cut(part, ":")
		heads = append(heads, strings.TrimSpace(head))
	}
	if short := strings.Join(heads, "; "); lipgloss.Width(short) <= w {
		return short
	}
	return ""
}

func (m *Model) banner() string {
	s := m.ctx.Styles
	var tag string
	if m.ctx.Desk.Mode() == providers.ModeLive {
		tag = s.BannerLive.Render("LIVE")
		var eps []string
		for _, e := range m.ctx.entries() {
			if e.Disabled == "" {
				eps = append(eps, e.Endpoint)
			}
		}
		if len(eps) == 0 {
			tag += " no provider configured"
		} else {
			tag += " " + strings.Join(eps, " ")
		}
	} else {
		tag = s.Banner.Render("SANDBOX")
		if u := m.ctx.Desk.SandboxURL(); u != "" { // "": not known yet (Preview)
			tag += " " + u
		}
		room := m.ctx.Width - lipgloss.Width("kycdesk "+tag+" · ")
		if by := actorLabel(m.ctx.Desk.Operator(), m.ctx.Desk.DeskName()); by != "" {
			room -= lipgloss.Width(by + " ")
		}
		if note := bannerNote(m.ctx.SandboxMsg, room); note != "" {
			tag += s.Subtle.Render(" · " + note)
		}
	}
	// Hosted-flow hosts allowed only by an explicit setting are always in
	// view: a QR may point outside the provider's documented hosts.
	for _, e := range m.ctx.entries() {
		if len(e.AllowedURLHosts) > 0 && e.Disabled == "" {
			tag += " " + s.BannerLive.Render("URL HOSTS") + " " + e.Desc.ID + ": " +
				providers.SanitizeLine(strings.Join(e.AllowedURLHosts, ","))
		}
	}
	if by := actorLabel(m.ctx.Desk.Operator(), m.ctx.Desk.DeskName()); by != "" {
		// A served desk: who works here comes first, so a cut keeps it.
		tag = s.Key.Render(by) + " " + tag
	}
	return truncate(s.Title.Render("kycdesk")+" "+tag, m.ctx.Width)
}

// fit pads or cuts body to exactly h lines of at most w columns, so the
// renderer never silently crops (which would break a QR).
func fit(body string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(body, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if !fitsWidth(l, w) && lipgloss.Width(l) > w {
			lines[i] = truncate(l, w)
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func tooSmall(w, h, needW, needH int) string {
	msg := fmt.Sprintf("kycdesk needs at least %d×%d; this terminal is %d×%d. Enlarge the window (ctrl+c quits).", needW, needH, w, h)
	return fit(wrap(msg, w), w, h)
}
