package ui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/desk"
)

// DefaultLaunchTimeout bounds a launch (DWS retries included).
const DefaultLaunchTimeout = 30 * time.Second

// launchingModel shows a spinner while the launch is in flight; esc
// cancels it (the outcome is then unknown and the store keeps the intent).
type launchingModel struct {
	ctx     *Context
	id      int
	draft   *desk.Draft
	entry   *desk.Provider
	spinner spinner.Model
	cancel  context.CancelFunc
	started time.Time
	// waiting says the launch queued for the provider's rate limit.
	waiting string
}

var _ component = (*launchingModel)(nil) // a page of the console (component.go)

// launchWaitMsg: launch id queued for its provider account's rate limit.
type launchWaitMsg struct {
	id   int
	wait time.Duration
}

func newLaunching(ctx *Context, id int, dr *desk.Draft) launchingModel {
	return launchingModel{ctx: ctx, id: id, draft: dr, entry: dr.Provider,
		spinner: spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(ctx.Styles.Spinner)), started: ctx.now()}
}

// init starts the launch through the desk (a retry when sessionID is set).
func (l *launchingModel) init(ctx *Context, sessionID string) tea.Cmd {
	timeout := ctx.LaunchTimeout
	if timeout == 0 {
		timeout = DefaultLaunchTimeout
	}
	c, cancel := context.WithTimeout(context.Background(), timeout)
	l.cancel = cancel
	id, dr, d := l.id, l.draft, ctx.Desk
	waits := make(chan time.Duration, 1)
	c = desk.WithWaitNotice(c, func(w time.Duration) {
		select {
		case waits <- w:
		default: // one notice on screen is enough
		}
	})
	waited := func() tea.Msg {
		if w, ok := <-waits; ok {
			return launchWaitMsg{id: id, wait: w}
		}
		return nil
	}
	run := func() tea.Msg {
		defer close(waits)
		defer cancel()
		var o *desk.Outcome
		var err error
		if sessionID != "" {
			o, err = d.Retry(c, sessionID, dr)
		} else {
			o, err = d.Launch(c, dr)
		}
		return launchDoneMsg{id: id, outcome: o, err: err}
	}
	return tea.Batch(l.spinnerAfter(launchStill), run, waited)
}

// launchStill is how long the launching screen stays still before its
// spinner turns: most launches answer sooner, and each turn was a frame
// drawn and sent to every launching desk at once in a burst (issue 18).
const launchStill = 300 * time.Millisecond

// spinnerAfter is the spinner's first tick, after d.
func (l *launchingModel) spinnerAfter(d time.Duration) tea.Cmd {
	id := l.spinner.ID()
	return tea.Tick(d, func(t time.Time) tea.Msg { return spinner.TickMsg{Time: t, ID: id} })
}

// SetSize: the launching line fits any width.
func (l *launchingModel) SetSize(int, int) tea.Cmd { return nil }

func (l *launchingModel) Typing() bool { return false }

func (l *launchingModel) Keys() help.KeyMap {
	k := l.ctx.Keys
	cancel := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	return bindings{short: []key.Binding{cancel, k.Quit}}
}

func (l *launchingModel) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if key.Matches(msg, l.ctx.Keys.Back) && l.cancel != nil {
			// The reply still arrives (cancelled) and shows as outcome unknown.
			l.cancel()
			return nil
		}
	case spinner.TickMsg:
		var cmd tea.Cmd
		l.spinner, cmd = l.spinner.Update(msg)
		return cmd
	case launchWaitMsg:
		if msg.id == l.id {
			l.waiting = "waiting for the provider's rate limit (shared by every desk of this account), about " +
				msg.wait.Round(100*time.Millisecond).String()
		}
	}
	return nil
}

func (l *launchingModel) View() string {
	s := l.ctx.Styles
	el := l.ctx.now().Sub(l.started).Round(100 * time.Millisecond)
	wait := ""
	if l.waiting != "" {
		wait = "\n\n   " + s.Warn.Render(l.waiting)
	}
	return "\n " + l.spinner.View() + " " + s.Title.Render("Launching "+l.entry.Desc.Name) + " " + s.Subtle.Render(el.String()) +
		"\n\n   " + s.Subtle.Render(l.entry.Endpoint) + wait +
		"\n\n   esc cancels; the store keeps the intent so nothing is lost."
}
