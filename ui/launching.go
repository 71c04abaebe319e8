package ui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/providers"
)

// DefaultLaunchTimeout bounds a launch (DWS retries included).
const DefaultLaunchTimeout = 30 * time.Second

// launchingModel shows a spinner while the launch is in flight; esc
// cancels it (the outcome is then unknown and the journal keeps the intent).
type launchingModel struct {
	ctx     *Context
	id      int
	entry   *Entry
	values  providers.Values
	spinner spinner.Model
	cancel  context.CancelFunc
	started time.Time
}

func newLaunching(ctx *Context, id int, e *Entry, values providers.Values) launchingModel {
	return launchingModel{ctx: ctx, id: id, entry: e, values: values, spinner: spinner.New(spinner.WithSpinner(spinner.Dot)), started: ctx.now()}
}

// init starts the request (a retry when sessionID is set).
func (l *launchingModel) init(ctx *Context, sessionID string) tea.Cmd {
	timeout := ctx.LaunchTimeout
	if timeout == 0 {
		timeout = DefaultLaunchTimeout
	}
	c, cancel := context.WithTimeout(context.Background(), timeout)
	l.cancel = cancel
	id, e, v, rec := l.id, l.entry, l.values, ctx.Recorder
	run := func() tea.Msg {
		defer cancel()
		if rec == nil {
			launch, err := e.Client.Launch(c, v)
			return launchDoneMsg{id: id, launch: launch, err: err}
		}
		if sessionID != "" {
			launch, err := rec.Retry(c, sessionID, e, v)
			return launchDoneMsg{id: id, sessionID: sessionID, launch: launch, err: err}
		}
		sid, launch, err := rec.Launch(c, e, v)
		return launchDoneMsg{id: id, sessionID: sid, launch: launch, err: err}
	}
	return tea.Batch(l.spinner.Tick, run)
}

func (l launchingModel) keys() help.KeyMap {
	k := l.ctx.Keys
	cancel := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	return bindings{short: []key.Binding{cancel, k.Quit}}
}

func (l launchingModel) update(msg tea.Msg) (launchingModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if key.Matches(msg, l.ctx.Keys.Back) && l.cancel != nil {
			// The reply still arrives (cancelled) and shows as outcome unknown.
			l.cancel()
			return l, nil
		}
	case spinner.TickMsg:
		var cmd tea.Cmd
		l.spinner, cmd = l.spinner.Update(msg)
		return l, cmd
	}
	return l, nil
}

func (l launchingModel) view() string {
	s := l.ctx.Styles
	el := l.ctx.now().Sub(l.started).Round(100 * time.Millisecond)
	return "\n " + l.spinner.View() + " " + s.Title.Render("Launching "+l.entry.Desc.Name) + " " + s.Subtle.Render(el.String()) +
		"\n\n   " + s.Subtle.Render(l.entry.Resolved.Config.BaseURL) +
		"\n\n   esc cancels; the journal keeps the intent so nothing is lost."
}
