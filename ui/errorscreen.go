package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
)

// errorModel shows a failed launch: what kind of failure, the provider's
// code and message, and what the operator should do next.
type errorModel struct {
	ctx    *Context
	title  string
	err    *providers.Error
	retry  *retryMsg
	entry  *desk.Provider
	values providers.Values
	w, h   int
	// wire is the provider's raw answer behind the error (w).
	wire wirePanel
}

var _ component = (*errorModel)(nil) // a page of the console (component.go)

func newErrorModel(ctx *Context, title string, err *providers.Error, retry *retryMsg) errorModel {
	e := errorModel{ctx: ctx, title: title, err: err, retry: retry}
	e.wire.add(err.Exchanges)
	return e
}

func (e *errorModel) SetSize(w, h int) tea.Cmd { e.w, e.h = w, h; e.wire.setSize(w, h); return nil }

func (e *errorModel) Typing() bool { return false }

func (e *errorModel) Keys() help.KeyMap {
	k := e.ctx.Keys
	if e.wire.open {
		return bindings{short: append(wireKeys(k), k.QuitQ)}
	}
	short := []key.Binding{}
	if len(e.wire.ex) > 0 {
		short = append(short, k.Wire)
	}
	if e.retry != nil {
		short = append(short, k.Retry)
	}
	if e.entry != nil {
		short = append(short, k.Edit)
	}
	return bindings{short: append(short, k.Back, k.QuitQ)}
}

func (e *errorModel) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := e.ctx.Keys
	var cmd tea.Cmd
	var took bool
	if e.wire, cmd, took = e.wire.handleOpen(km, k); took {
		return cmd
	}
	switch {
	case key.Matches(km, k.Wire) && len(e.wire.ex) > 0:
		e.wire.toggle()
		return nil
	case key.Matches(km, k.Retry) && e.retry != nil:
		r := *e.retry
		return func() tea.Msg { return r }
	case key.Matches(km, k.Edit) && e.entry != nil:
		// Editing makes a new request: generated ids are made anew, so a
		// changed body is not refused as the same request (DWS
		// REPEAT_REQ_INCONSISTENT). r, not e, re-sends the same one.
		id, v := e.entry.Desc.ID, withoutGenerated(e.entry, e.values)
		note := ""
		if e.retry != nil {
			note = "editing starts a new request with new ids; the unknown one stays in the sessions list (s, u) to resume"
		}
		focus := e.err.Field // the field the provider named, if any
		if focus == "" && len(e.err.Fields) > 0 {
			focus = e.err.Fields[0].Field
		}
		return func() tea.Msg { return startFormMsg{provider: id, values: v, note: note, focus: focus} }
	case key.Matches(km, k.Back):
		return func() tea.Msg { return goHomeMsg{} }
	}
	return nil
}

// kindTitle says in plain words what happened.
func kindTitle(e *providers.Error) string {
	if e.Code == "QUOTA" {
		// The store's refusal, not a mistake in the input; its action
		// says that nothing was sent.
		return "Launch quota reached"
	}
	switch e.Kind {
	case providers.KindInvalid:
		return "Invalid input — nothing was sent"
	case providers.KindRejected:
		return "The provider refused the request"
	case providers.KindUnknown:
		return "Outcome unknown — the provider may have acted on it"
	}
	return "The request could not be sent"
}

func (e *errorModel) View() string {
	s := e.ctx.Styles
	if e.wire.open {
		return e.wire.view(s)
	}
	w := max(20, e.w-2)
	var b strings.Builder
	b.WriteString(s.Title.Render(e.title) + "\n\n")
	b.WriteString(s.Error.Render(kindTitle(e.err)) + "\n\n")
	if e.err.Code != "" {
		code := clean(e.err.Code)
		if e.err.HTTPStatus != 0 {
			code += fmt.Sprintf(" (HTTP %d)", e.err.HTTPStatus)
		}
		b.WriteString(s.Subtle.Render("code    ") + code + "\n")
	} else if e.err.HTTPStatus != 0 {
		b.WriteString(s.Subtle.Render("HTTP    ") + providers.HTTPStatusText(e.err.HTTPStatus) + "\n")
	}
	for _, f := range e.err.Fields {
		b.WriteString(wrap(clean(f.Error()), w) + "\n")
	}
	if len(e.err.Fields) == 0 {
		b.WriteString(s.Subtle.Render("message ") + hang(wrap(clean(e.err.Message), w-8), 8) + "\n")
	}
	if e.err.Action != "" {
		b.WriteString("\n" + s.Title.Render("What to do: ") + hang(wrap(clean(e.err.Action), w-12), 12) + "\n")
	}
	if e.retry != nil {
		b.WriteString("\n" + s.Warn.Render(wrap("r re-sends the same request (same idempotency key), so it cannot create a second session where the provider honours it; e edits it into a new request.", w)) + "\n")
	}
	return b.String()
}

// hang indents every line of s but the first by n columns: text wrapped
// beside a label (w less the label) stays in its column under it.
func hang(s string, n int) string {
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}
