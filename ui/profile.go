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

// labelField is the key of the desk label's field on the profile screen;
// it is not a provider parameter (the dot keeps it apart from wire names).
const labelField = "kycdesk.label"

// profileModel is a desk profile's one screen: only the fields it asks
// per customer (and its desk label). enter launches at once when nothing
// is refused and no warning is left to confirm; tab shows the review.
type profileModel struct {
	ctx  *Context
	prof desk.DeskProfile
	form *forms.Form
	// note lists the problems of the last enter, or a warning to confirm.
	note     string
	problems bool
	discard  bool
	w, h     int
	// fixed is the profile's fixed values as the header lists them, worked
	// out once (the provider's spec is built anew on each call); head
	// keeps the last header drawn (issue 18: drawn on every key).
	fixed string
	head  *headMemo
	// reopen holds what was typed when enter or tab handed it on: the
	// screen comes back with it in a fresh form (a completed huh form
	// takes no more keys), built only when the screen is used again. A
	// launch leaves it for good (the next customer's screen is new), so a
	// launch no longer builds a form nobody draws (issue 18). Until then
	// the screen draws its last frame (shown).
	reopen *reopenArgs
	shown  string
}

type reopenArgs struct {
	typed providers.Values
	label string
}

// live builds the reopened form, if one is owed.
func (p *profileModel) live() {
	if r := p.reopen; r != nil {
		*p = p.reopened(r.typed, r.label)
	}
}

var _ component = (*profileModel)(nil) // a page of the console (component.go)

// headMemo is a header and what it was drawn from.
type headMemo struct {
	w                 int
	note              string
	problems, discard bool
	view              string
}

// profileSpec is the screen's fields: the asked ones, each shown (no
// Advanced question: a profile asks few), then the desk label.
func profileSpec(p desk.DeskProfile) providers.Spec {
	var spec providers.Spec
	for _, prm := range p.Asked() {
		prm.Essential = true
		spec = append(spec, prm)
	}
	if p.Label != "" {
		spec = append(spec, providers.Param{Name: labelField, Label: p.Label, Kind: providers.KindText,
			MaxLen: desk.MaxLabelValue, Essential: true,
			Doc:   "The desk's own label for this session, a ticket number for instance: shown in the lists and kept in the history; never sent to the provider. Not personal data: do not type the customer's name here.",
			Check: desk.CheckLabelValue})
	}
	return spec
}

func newProfileScreen(ctx *Context, p desk.DeskProfile, typed providers.Values, label, note string, problems bool) profileModel {
	initial := typed.Clone()
	if initial == nil {
		initial = providers.Values{}
	}
	if label != "" {
		initial.Set(labelField, label)
	}
	f := forms.New(clean(p.DisplayTitle()), profileSpec(p), initial, true, forms.WithRenderer(ctx.Renderer))
	return profileModel{ctx: ctx, prof: p, form: f, note: note, problems: problems, fixed: fixedValues(p), head: &headMemo{w: -1}}
}

// fixedValues lists a profile's fixed values, with their options' labels.
func fixedValues(p desk.DeskProfile) string {
	var fixed []string
	spec := p.Provider.Desc.Spec()
	for _, n := range p.Values.Names() {
		vals := append([]string(nil), p.Values.List(n)...)
		if prm, ok := spec.Lookup(n); ok {
			for i, v := range vals {
				if l := prm.OptionLabel(v); l != "" && l != v {
					vals[i] = l
				}
			}
		}
		fixed = append(fixed, n+" "+strings.Join(vals, ","))
	}
	if len(fixed) == 0 {
		return ""
	}
	return clean("fixed: " + strings.Join(fixed, " · "))
}

func (p profileModel) init() tea.Cmd { return p.form.Init() }

// Typing: every key goes to the form's fields.
func (p *profileModel) Typing() bool { return true }

func (p *profileModel) SetSize(w, h int) tea.Cmd {
	p.live()
	p.w, p.h = w, h
	head := lipglossHeight(p.header())
	return p.form.SetSize(min(w, 100), max(4, h-head))
}

func (p *profileModel) Keys() help.KeyMap {
	k := p.ctx.Keys
	return bindings{short: []key.Binding{k.Launch, k.Review, forms.DocKey, k.Back, k.Quit}, more: func() []key.Binding {
		p.live()
		return p.form.KeyBinds()
	}}
}

// typed splits the form's values into the asked fields and the label.
func (p profileModel) typed() (providers.Values, string) {
	v := p.form.Values()
	label := v.Get(labelField)
	delete(v, labelField)
	return v, label
}

// filled reports whether the operator typed anything (quitting asks first).
func (p profileModel) filled() bool {
	if r := p.reopen; r != nil {
		return len(r.typed) > 0 || r.label != ""
	}
	return len(p.form.Values()) > 0
}

func (p *profileModel) Update(msg tea.Msg) tea.Cmd {
	p.live()
	if km, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(km, p.ctx.Keys.Back) && p.form.DocOpen() == "":
			if p.discard || !p.filled() {
				return func() tea.Msg { return goHomeMsg{} }
			}
			p.discard = true
			return nil
		case key.Matches(km, p.ctx.Keys.Review):
			p.discard = false
			return p.submit(true)
		}
		p.discard = false
	}
	cmd := p.form.Update(msg)
	switch p.form.State {
	case huh.StateAborted:
		return tea.Quit
	case huh.StateCompleted:
		return p.submit(false)
	}
	return cmd
}

// submit prepares the launch from what was typed. Refusals stay on this
// screen, the field named focused; otherwise review shows the request
// when asked (tab) or when something needs confirming (warnings the
// profile has not accepted, a duplicate), and enter launches directly.
func (p *profileModel) submit(review bool) tea.Cmd {
	typed, label := p.typed()
	dr := p.ctx.Desk.ProfileDraft(p.prof, typed, label)
	if len(dr.Refusals) > 0 {
		var b strings.Builder
		for _, r := range dr.Refusals {
			if r.Field == "label" {
				r.Field = p.prof.Label
			}
			b.WriteString(r.Error() + "\n")
		}
		np := newProfileScreen(p.ctx, p.prof, typed, label, strings.TrimRight(b.String(), "\n"), true)
		focus := dr.Refusals[0].Field
		if focus == "label" {
			focus = labelField
		}
		cmds := []tea.Cmd{np.init(), np.SetSize(p.w, p.h)}
		np.form.Focus(focus)
		*p = np
		return tea.Batch(cmds...)
	}
	p.reopen = &reopenArgs{typed: typed, label: label}
	if review || dr.Err != nil || len(dr.Warnings) > 0 || p.ctx.Desk.Duplicate(dr) != "" {
		return func() tea.Msg { return reviewMsg{draft: dr} }
	}
	return func() tea.Msg { return launchMsg{draft: dr} }
}

// reopened is this screen as it comes back from review (esc): the form
// rebuilt with what was typed (a completed huh form takes no more keys).
func (p profileModel) reopened(typed providers.Values, label string) profileModel {
	np := newProfileScreen(p.ctx, p.prof, typed, label, "", false)
	np.w, np.h = p.w, p.h
	return np
}

func (p profileModel) header() string {
	if m := p.head; m != nil && m.w == p.w && m.note == p.note && m.problems == p.problems && m.discard == p.discard {
		return m.view
	}
	s := p.ctx.Styles
	var b strings.Builder
	prov := p.prof.Provider
	b.WriteString(s.Title.Render(clean(p.prof.DisplayTitle())) + s.Subtle.Render("  profile "+p.prof.Name+" · "+prov.Desc.Name+" · ") + modeTag(p.ctx, p.ctx.Desk.Mode()))
	if p.fixed != "" {
		b.WriteString("\n" + s.Subtle.Render(truncate(p.fixed, max(10, p.w))))
	}
	w := max(20, p.w-2)
	switch {
	case p.discard:
		b.WriteString("\n" + s.Warn.Render(wrap("esc again discards what you typed; any other key keeps editing", w)))
	case p.note != "" && p.problems:
		b.WriteString("\n" + s.Error.Render(wrap(p.note, w)))
	case p.note != "":
		b.WriteString("\n" + s.Warn.Render(wrap(p.note, w)))
	}
	if p.head != nil {
		*p.head = headMemo{w: p.w, note: p.note, problems: p.problems, discard: p.discard, view: b.String()}
	}
	return b.String()
}

func (p *profileModel) View() string {
	if p.reopen != nil && p.shown != "" {
		return p.shown // handed on: the frame as it was, until used again
	}
	p.live()
	p.shown = p.header() + "\n" + p.form.View()
	return p.shown
}
