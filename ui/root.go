package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kycdesk/kycdesk/providers"
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

	home      homeModel
	form      formModel
	review    reviewModel
	launching launchingModel
	result    resultModel
	errs      errorModel
	sessions  sessionsModel

	// seq numbers async requests; replies carrying an older number are stale.
	seq int

	// view caches the last rendered frame; Update marks it dirty whenever
	// a message may have changed what is shown. Bubble Tea calls View after
	// every message, including ones that change nothing on screen.
	view  string
	dirty bool
}

// New builds the console.
func New(ctx *Context) *Model {
	ctx.Styles = newStyles()
	ctx.Keys = newKeyMap()
	m := &Model{ctx: ctx, help: help.New()}
	m.home = newHome(ctx)
	m.sessions = newSessions(ctx)
	return m
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// nextID returns a fresh request id.
func (m *Model) nextID() int { m.seq++; return m.seq }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.dirty = true
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.ctx.Width, m.ctx.Height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, m.resize()
	case tea.KeyMsg:
		if key.Matches(msg, m.ctx.Keys.Quit) {
			m.cancelInFlight()
			return m, tea.Quit
		}
		if !m.typing() {
			switch {
			case key.Matches(msg, m.ctx.Keys.Help):
				m.full = !m.full
				return m, nil
			case key.Matches(msg, m.ctx.Keys.QuitQ) && m.screen != screenLaunching:
				return m, tea.Quit
			}
		}
	case goHomeMsg:
		return m, m.goHome()
	case startFormMsg:
		return m, m.startForm(msg)
	case reviewMsg:
		return m, m.startReview(msg)
	case launchMsg:
		return m, m.startLaunch(msg.entry, msg.values)
	case retryMsg:
		return m, m.startRetry(msg.entry, msg.sessionID, msg.values)
	case launchDoneMsg:
		if msg.id != m.launching.id || m.screen != screenLaunching {
			m.dirty = false
			return m, nil // stale: cancelled or superseded
		}
		return m, m.finishLaunch(msg)
	case showErrorMsg:
		m.errs = newErrorModel(m.ctx, msg.title, msg.err, msg.retry)
		m.screen = screenError
		return m, nil
	case showSessionMsg:
		m.result = newResult(m.ctx, msg.entry, msg.row.ID, msg.row.Launch, msg.row.Values)
		m.result.state = msg.row.State
		m.result.history = msg.row.History
		m.result.reopened = true
		m.result.back = showSessionsMsg{}
		if n := len(msg.row.History); n > 0 {
			m.result.detail = clean(msg.row.History[n-1].Detail)
		}
		m.screen = screenResult
		return m, tea.Batch(m.result.init(), m.resize())
	case showSessionsMsg:
		m.sessions.reload()
		m.screen = screenSessions
		return m, nil
	}

	var cmd tea.Cmd
	switch m.screen {
	case screenHome:
		m.home, cmd = m.home.update(msg)
	case screenForm:
		m.form, cmd = m.form.update(msg)
	case screenReview:
		m.review, cmd = m.review.update(msg)
	case screenLaunching:
		m.launching, cmd = m.launching.update(msg)
	case screenResult:
		m.result, cmd = m.result.update(msg)
	case screenError:
		m.errs, cmd = m.errs.update(msg)
	case screenSessions:
		m.sessions, cmd = m.sessions.update(msg)
	}
	return m, cmd
}

// typing reports whether keys are text for a field (q and ? are letters then).
func (m *Model) typing() bool {
	switch m.screen {
	case screenForm:
		return true
	case screenResult:
		return m.result.typing()
	case screenSessions:
		return m.sessions.typing()
	}
	return false
}

func (m *Model) cancelInFlight() {
	if m.launching.cancel != nil {
		m.launching.cancel()
	}
}

func (m *Model) resize() tea.Cmd {
	// Only screens that exist are sized; each new screen is sized when shown.
	w, h := m.bodySize()
	m.home.setSize(w, h)
	m.sessions.setSize(w, h)
	switch m.screen {
	case screenReview:
		m.review.setSize(w, h)
	case screenResult:
		// The result screen has no footer (its keys are in its side
		// panel) so that a QR for a ~100-character URL fits 80×24.
		m.result.setSize(w, h+1)
	case screenError:
		m.errs.setSize(w, h)
	case screenForm:
		return m.form.setSize(w, h)
	}
	return nil
}

// bodySize is the area between the banner and the footer.
func (m *Model) bodySize() (int, int) {
	return m.ctx.Width, max(0, m.ctx.Height-2)
}

func (m *Model) goHome() tea.Cmd {
	m.cancelInFlight()
	m.result.stop()
	m.home.reload()
	m.screen = screenHome
	return nil
}

func (m *Model) startForm(msg startFormMsg) tea.Cmd {
	e := m.ctx.entry(msg.provider)
	if e == nil || e.Client == nil {
		return nil
	}
	m.result.stop()
	if msg.values == nil && m.ctx.LoadPreset != nil {
		// A new session starts from the desk's preset, if one was saved.
		if v, err := m.ctx.LoadPreset(e.Desc.ID); err != nil {
			msg.note = "preset not loaded: " + err.Error()
		} else if v != nil {
			msg.values = v
		}
	}
	m.form = newForm(m.ctx, e, msg.values, msg.note, msg.only)
	m.form.retryOf = msg.retryOf
	m.form.problems = msg.problems
	m.screen = screenForm
	return tea.Batch(m.form.init(), m.resize())
}

func (m *Model) startReview(msg reviewMsg) tea.Cmd {
	m.review = newReview(m.ctx, msg.entry, msg.values)
	m.review.retryOf = msg.retryOf
	m.screen = screenReview
	return m.resize()
}

func (m *Model) startLaunch(e *Entry, values providers.Values) tea.Cmd {
	m.launching = newLaunching(m.ctx, m.nextID(), e, values)
	m.screen = screenLaunching
	return m.launching.init(m.ctx, "")
}

func (m *Model) startRetry(e *Entry, sessionID string, values providers.Values) tea.Cmd {
	m.launching = newLaunching(m.ctx, m.nextID(), e, values)
	m.screen = screenLaunching
	return m.launching.init(m.ctx, sessionID)
}

func (m *Model) finishLaunch(msg launchDoneMsg) tea.Cmd {
	e := m.launching.entry
	m.launching.cancel = nil
	if msg.err != nil {
		pe := providers.AsError(msg.err)
		var retry *retryMsg
		if pe.Kind == providers.KindUnknown && msg.sessionID != "" {
			retry = &retryMsg{entry: e, sessionID: msg.sessionID, values: m.launching.values}
		}
		m.errs = newErrorModel(m.ctx, "Launch "+e.Desc.Name, pe, retry)
		m.errs.entry, m.errs.values = e, m.launching.values
		m.screen = screenError
		return m.resize()
	}
	m.result = newResult(m.ctx, e, msg.sessionID, msg.launch, m.launching.values)
	m.screen = screenResult
	return tea.Batch(m.result.init(), m.resize())
}

// View implements tea.Model: the cached frame, re-rendered only after a
// message that may have changed it.
func (m *Model) View() string {
	if m.dirty || m.view == "" {
		m.view = m.render()
		m.dirty = false
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
	var body string
	var keys help.KeyMap
	switch m.screen {
	case screenHome:
		body, keys = m.home.view(), m.home.keys()
	case screenForm:
		body, keys = m.form.view(), m.form.keys()
	case screenReview:
		body, keys = m.review.view(), m.review.keys()
	case screenLaunching:
		body, keys = m.launching.view(), m.launching.keys()
	case screenResult:
		body, keys = m.result.view(), m.result.keys()
	case screenError:
		body, keys = m.errs.view(), m.errs.keys()
	case screenSessions:
		body, keys = m.sessions.view(), m.sessions.keys()
	}
	var footer string
	if m.screen == screenResult && !m.full {
		return m.banner() + "\n" + fit(body, w, h-1)
	}
	if m.full {
		footer = m.help.FullHelpView(keys.FullHelp())
	} else {
		footer = m.help.ShortHelpView(keys.ShortHelp())
	}
	bodyH := h - 1 - lipgloss.Height(footer)
	return m.banner() + "\n" + fit(body, w, bodyH) + "\n" + footer
}

// banner always says where requests go.
func (m *Model) banner() string {
	s := m.ctx.Styles
	var tag string
	if m.ctx.Mode == providers.ModeLive {
		tag = s.BannerLive.Render("LIVE")
		var eps []string
		for _, e := range m.ctx.Entries {
			if e.Disabled == "" {
				eps = append(eps, e.Resolved.Config.BaseURL)
			}
		}
		if len(eps) == 0 {
			tag += " no provider configured"
		} else {
			tag += " " + strings.Join(eps, " ")
		}
	} else {
		tag = s.Banner.Render("SANDBOX") + " " + m.ctx.Endpoint
		if m.ctx.SandboxMsg != "" {
			tag += s.Subtle.Render(" · " + m.ctx.SandboxMsg)
		}
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
		if lipgloss.Width(l) > w {
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
