package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/forms"
	"github.com/kycdesk/kycdesk/providers"
)

// formModel wraps the huh form built from the provider's spec. Field rules
// are checked at the field; cross-field rules run when the form completes,
// and their problems bring the operator back here with the values kept.
type formModel struct {
	ctx      *Context
	entry    *desk.Provider
	form     *forms.Form
	note     string // problems from the last attempt, or why we are here
	problems bool   // note lists problems to fix
	// discard is set after a first esc on a form with values: a second
	// esc throws them away, any other key keeps editing.
	discard bool
	// retryOf is the session being resumed, if any (see startFormMsg).
	retryOf string
	// base holds every value when the form shows only fields to fix.
	base providers.Values
	w, h int
}

var _ component = (*formModel)(nil) // a page of the console (component.go)

func newForm(ctx *Context, e *desk.Provider, values providers.Values, note string, only []string) formModel {
	showAdvanced := false
	spec := e.Desc.Spec()
	if len(only) > 0 {
		// Just the fields to fix, wherever they sit in the full form: the
		// operator does not walk every page again.
		var sub providers.Spec
		for _, p := range spec {
			for _, n := range only {
				if p.Name == n {
					sub = append(sub, p)
				}
			}
		}
		if len(sub) > 0 {
			f := forms.New(e.Desc.Name+" — fix", sub, values, true, forms.WithRenderer(ctx.Renderer))
			return formModel{ctx: ctx, entry: e, form: f, note: note, base: values}
		}
	}
	for name := range values { // editing advanced values: open those pages
		if p, ok := spec.Lookup(name); ok && !forms.IsEssential(p) {
			showAdvanced = true
		}
	}
	f := forms.New(e.Desc.Name, spec, values, showAdvanced, forms.WithRenderer(ctx.Renderer))
	return formModel{ctx: ctx, entry: e, form: f, note: note}
}

func (f formModel) init() tea.Cmd { return f.form.Init() }

// Typing: every key goes to the form's fields.
func (f *formModel) Typing() bool { return true }

func (f *formModel) SetSize(w, h int) tea.Cmd {
	f.w, f.h = w, h
	if f.form == nil {
		return nil
	}
	noteH := 0
	if n := f.noteView(); n != "" {
		noteH = strings.Count(n, "\n") + 1
	}
	return f.form.SetSize(min(w, 100), max(4, h-noteH))
}

func (f *formModel) Keys() help.KeyMap {
	// The form draws its own field keys (enter, tab…) and errors in its
	// footer line; ours adds the console's.
	k := f.ctx.Keys
	return bindings{short: []key.Binding{forms.DocKey, reviewNowKey, k.Back, k.Quit}, more: f.form.KeyBinds}
}

// reviewNowKey goes to review from any field with the values typed so far
// (the fields not reached keep their defaults): after review's e, one key
// back, not an enter per field. Refusals reopen the form as enter at the
// end does.
var reviewNowKey = key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "review now"))

func (f *formModel) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok {
		if key.Matches(km, f.ctx.Keys.Back) && f.form.DocOpen() == "" {
			if f.discard || len(f.form.Values()) == 0 {
				return func() tea.Msg { return goHomeMsg{} }
			}
			f.discard = true
			return nil
		}
		f.discard = false
		if key.Matches(km, reviewNowKey) && f.form.DocOpen() == "" {
			return f.complete()
		}
	}
	cmd := f.form.Update(msg)
	switch f.form.State {
	case huh.StateAborted:
		// huh returns no CancelCmd when embedded: handle it, do not freeze.
		return tea.Quit
	case huh.StateCompleted:
		return f.complete()
	}
	return cmd
}

// complete prepares and validates the values; refusals reopen the form
// with every problem named, warnings go on to review.
func (f formModel) complete() tea.Cmd {
	v := f.form.Values()
	if f.base != nil { // a fix-up form: its fields over the values kept
		merged := f.base.Clone()
		for _, n := range append(f.form.Essentials, f.form.Advanced...) {
			delete(merged, n)
		}
		for k, vals := range v {
			merged[k] = vals
		}
		v = merged
	}
	return f.completeWith(v)
}

func (f formModel) completeWith(values providers.Values) tea.Cmd {
	e := f.entry
	dr := f.ctx.Desk.Draft(e, values)
	retryOf := f.retryOf
	if refusals := dr.Refusals; len(refusals) > 0 {
		var b strings.Builder
		for _, r := range refusals {
			b.WriteString(r.Error() + "\n")
		}
		note := strings.TrimRight(b.String(), "\n")
		// The fix-up form shows the fields named: the one refused and any
		// other a cross-field message mentions (utilityBill… additionalSteps).
		var only []string
		for _, p := range e.Desc.Spec() {
			for _, r := range refusals {
				if r.Field == p.Name || mentions(r.Message, p.Name) {
					only = append(only, p.Name)
					break
				}
			}
		}
		values, focus := dr.Values, refusals[0].Field
		return func() tea.Msg {
			return startFormMsg{provider: e.Desc.ID, values: values, note: note, problems: true, retryOf: retryOf, only: only, focus: focus}
		}
	}
	dr.RetryOf = retryOf
	return func() tea.Msg { return reviewMsg{draft: dr} }
}

// mentions reports whether msg names the parameter as a word.
func mentions(msg, name string) bool {
	for i := strings.Index(msg, name); i >= 0; {
		end := i + len(name)
		before := i == 0 || !isWordByte(msg[i-1])
		after := end == len(msg) || !isWordByte(msg[end])
		if before && after {
			return true
		}
		j := strings.Index(msg[end:], name)
		if j < 0 {
			return false
		}
		i = end + j
	}
	return false
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func (f formModel) noteView() string {
	var parts []string
	if f.discard {
		parts = append(parts, f.ctx.Styles.Warn.Render(wrap("esc again discards what you typed; any other key keeps editing", max(20, f.w-2))))
	}
	switch {
	case f.note == "":
	case f.problems:
		parts = append(parts, f.ctx.Styles.Error.Render(wrap("Fix before review (only these fields are shown; the others keep their values):\n"+f.note, max(20, f.w-2))))
	default:
		parts = append(parts, f.ctx.Styles.Warn.Render(wrap(f.note, max(20, f.w-2))))
	}
	return strings.Join(parts, "\n")
}

func (f *formModel) View() string {
	v := f.form.View()
	if n := f.noteView(); n != "" {
		return n + "\n" + v
	}
	return v
}
