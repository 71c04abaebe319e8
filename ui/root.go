package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kycdesk/kycdesk/desk"
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
	ctx.Styles = newStyles(ctx.Renderer)
	ctx.Keys = newKeyMap()
	m := &Model{ctx: ctx, help: help.New()}
	m.help.Styles = ctx.Styles.Help
	m.home = newHome(ctx)
	m.sessions = newSessions(ctx)
	return m
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// nextID returns a fresh request id.
func (m *Model) nextID() int { m.seq++; return m.seq }

// pages is the page list, indexed by screen: every screen behind the one
// component interface, dispatched and sized here and nowhere else.
func (m *Model) pages() [screenCount]component {
	return [screenCount]component{
		screenHome: &m.home, screenForm: &m.form, screenReview: &m.review, screenLaunching: &m.launching,
		screenResult: &m.result, screenError: &m.errs, screenSessions: &m.sessions,
	}
}

// page is the screen shown.
func (m *Model) page() component { return m.pages()[m.screen] }

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
		if !m.page().Typing() {
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
		m.errs = newErrorModel(m.ctx, msg.title, msg.err, msg.retry)
		return m, m.show(screenError)
	case showSessionMsg:
		m.result = newResult(m.ctx, msg.follow, msg.row.Values)
		m.result.state = msg.row.State
		m.result.history = msg.row.History
		m.result.reopened = true
		m.result.back = showSessionsMsg{}
		if n := len(msg.row.History); n > 0 {
			m.result.detail = clean(msg.row.History[n-1].Detail)
		}
		return m, tea.Batch(m.result.init(), m.show(screenResult))
	case showSessionsMsg:
		m.sessions.reload()
		return m, m.show(screenSessions)
	}
	return m, m.page().Update(msg)
}

// show makes s the screen shown, sized to the window.
func (m *Model) show(s screen) tea.Cmd {
	m.screen = s
	return m.resize()
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
	return m.ctx.Width, max(0, m.ctx.Height-2)
}

func (m *Model) goHome() tea.Cmd {
	m.cancelInFlight()
	m.result.stop()
	m.home.reload()
	return m.show(screenHome)
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
	return tea.Batch(m.form.init(), m.show(screenForm))
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
	if err := msg.outcome.CodeErr; err != nil {
		pe := providers.AsError(err)
		m.result.lastErr = "the code was not sent: " + pe.Error() + actionSuffix(pe)
	}
	return tea.Batch(m.result.init(), m.show(screenResult))
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
	p := m.page()
	body := p.View()
	if f, ok := p.(footerless); ok && f.Footerless() && !m.full {
		return m.banner() + "\n" + fit(body, w, h-1)
	}
	var footer string
	if m.full {
		footer = m.help.FullHelpView(p.FullHelp())
	} else {
		footer = m.help.ShortHelpView(p.ShortHelp())
	}
	bodyH := h - 1 - lipgloss.Height(footer)
	return m.banner() + "\n" + fit(body, w, bodyH) + "\n" + footer
}

// banner always says where requests go.
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
		tag = s.Banner.Render("SANDBOX") + " " + m.ctx.Desk.SandboxURL()
		if m.ctx.SandboxMsg != "" {
			tag += s.Subtle.Render(" · " + m.ctx.SandboxMsg)
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
