package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/providers"
)

// reviewModel shows the exact HTTP request a launch would send, secrets
// masked, with launch / edit / copy-as-curl.
type reviewModel struct {
	ctx      *Context
	draft    *desk.Draft
	entry    *desk.Provider
	values   providers.Values
	text     string // the request as text (from the draft's one request)
	curl     string
	warnings []providers.FieldError
	// confirm is set when a launch needs a second enter (warnings, or a
	// pending live session for the same customer).
	confirm string
	flash   string
	// retryOf: launching re-sends this unknown-outcome session's request.
	retryOf string
	err     error
	vp      viewport.Model
	w, h    int
}

func newReview(ctx *Context, dr *desk.Draft) reviewModel {
	r := reviewModel{ctx: ctx, draft: dr, entry: dr.Provider, values: dr.Values, retryOf: dr.RetryOf, warnings: dr.Warnings, vp: viewport.New(80, 10)}
	if r.err = dr.Problem(); r.err != nil {
		r.text = providers.AsError(r.err).Error()
	} else {
		r.curl = dr.Curl()
		r.text = dr.Text()
	}
	r.vp.SetContent(r.text)
	return r
}

func (r *reviewModel) setSize(w, h int) {
	r.w, r.h = w, h
	r.vp.Width = w // the header wraps to it
	head := strings.Count(r.header(), "\n") + 1
	r.vp.Width, r.vp.Height = w, max(1, h-head)
	r.vp.SetContent(wrap(r.text, max(10, w)))
}

func (r reviewModel) keys() help.KeyMap {
	k := r.ctx.Keys
	return bindings{short: []key.Binding{k.Launch, k.Edit, k.Curl, k.Preset, k.Back, k.Help}, extra: []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Quit}}
}

func (r reviewModel) update(msg tea.Msg) (reviewModel, tea.Cmd) {
	switch msg := msg.(type) {
	case flashMsg:
		r.flash = msg.text
		if msg.err != nil {
			r.flash = "failed: " + msg.err.Error()
		}
		r.setSize(r.w, r.h) // the header grew: keep the request's end reachable
		return r, nil
	case tea.KeyMsg:
		k := r.ctx.Keys
		switch {
		case key.Matches(msg, k.Back):
			if r.confirm != "" {
				r.confirm = ""
				return r, nil
			}
			return r, r.edit()
		case key.Matches(msg, k.Edit):
			return r, r.edit()
		case key.Matches(msg, k.Preset) && r.ctx.SavePreset != nil:
			id, v, save := r.entry.Desc.ID, presetValues(r.entry, r.values), r.ctx.SavePreset
			if len(v) == 0 {
				r.flash = "nothing to save as a preset: only the customer id, personal fields or generated ids are set"
				r.setSize(r.w, r.h)
				return r, nil
			}
			return r, func() tea.Msg {
				path, err := save(id, v)
				if err != nil {
					return flashMsg{err: err}
				}
				return flashMsg{text: "saved as the preset for new " + id + " forms: " + path + " (personal fields and generated ids left out)"}
			}
		case key.Matches(msg, k.Curl):
			if r.curl == "" {
				return r, nil
			}
			curl := r.curl
			return r, func() tea.Msg {
				return flashMsg{text: "asked the terminal to copy the request as curl, secrets masked (OSC 52)", err: r.ctx.Copy(curl)}
			}
		case key.Matches(msg, k.Launch):
			if r.err != nil {
				return r, nil
			}
			if r.confirm == "" {
				if c := r.needsConfirm(); c != "" {
					r.confirm = c
					r.setSize(r.w, r.h)
					return r, nil
				}
			}
			dr, id := r.draft, r.retryOf
			if id != "" {
				return r, func() tea.Msg { return retryMsg{draft: dr, sessionID: id} }
			}
			return r, func() tea.Msg { return launchMsg{draft: dr} }
		}
	}
	var cmd tea.Cmd
	r.vp, cmd = r.vp.Update(msg)
	return r, cmd
}

func (r reviewModel) edit() tea.Cmd {
	id, v, retryOf := r.entry.Desc.ID, r.values, r.retryOf
	return func() tea.Msg { return startFormMsg{provider: id, values: v, retryOf: retryOf} }
}

// presetValues are the values worth reusing for every customer: not
// personal data, not ids generated per launch.
func presetValues(e *desk.Provider, v providers.Values) providers.Values {
	out := providers.Values{}
	spec := e.Desc.Spec()
	for _, name := range v.Names() {
		p, ok := spec.Lookup(name)
		if !ok || p.Personal || p.Kind == providers.KindPhone || p.Generate != nil || name == e.Desc.CustomerParam {
			continue
		}
		out[name] = v.List(name)
	}
	return out
}

// needsConfirm returns what the operator must confirm before launching:
// warnings, or a pending live session for the same customer (iDenfy bills
// every token, so a second one for a waiting customer costs money).
func (r reviewModel) needsConfirm() string {
	var parts []string
	if len(r.warnings) > 0 {
		parts = append(parts, fmt.Sprintf("%d warning(s) above", len(r.warnings)))
	}
	if dup := r.ctx.Desk.Duplicate(r.draft); dup != "" {
		parts = append(parts, dup)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + ". Press enter again to launch anyway, esc to stay."
}

func (r reviewModel) header() string {
	s := r.ctx.Styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Review: the exact request for "+r.entry.Desc.Name) + s.Subtle.Render("  (secrets masked)"))
	if r.retryOf != "" {
		b.WriteString("\n" + s.Warn.Render(wrap("Resuming session "+r.retryOf+": the same request under the same idempotency key; it is refused if the body differs from the first attempt.", max(10, r.vp.Width))))
	}
	for _, w := range r.warnings {
		b.WriteString("\n" + s.Warn.Render(wrap("warning: "+w.Error(), max(10, r.vp.Width))))
	}
	if r.err != nil {
		b.WriteString("\n" + s.Error.Render("cannot build the request"))
	}
	if r.confirm != "" {
		b.WriteString("\n" + s.Warn.Render(wrap(r.confirm, max(10, r.vp.Width))))
	}
	if r.flash != "" {
		b.WriteString("\n" + s.OK.Render(wrap(r.flash, max(10, r.vp.Width))))
	}
	return b.String()
}

func (r reviewModel) view() string {
	return r.header() + "\n" + r.vp.View()
}
