package ui

import (
	"errors"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/forms"
)

// profileSave is review's `p`: name the setup, choose the fields asked per
// customer (the suggestion preselected), optionally a title and a desk
// label, and save it as a desk profile.
type profileSave struct {
	ctx                *Context
	draft              *desk.Draft
	form               *huh.Form
	name, title, label *string
	asked              *[]string
}

func newProfileSave(ctx *Context, dr *desk.Draft) *profileSave {
	ps := &profileSave{ctx: ctx, draft: dr, name: new(string), title: new(string), label: new(string), asked: new([]string)}
	suggested := map[string]bool{}
	for _, n := range ctx.Desk.SuggestAsked(dr.Provider, dr.Values) {
		suggested[n] = true
	}
	var opts []huh.Option[string]
	for _, p := range dr.Provider.Desc.Spec() {
		if forms.Skips(p) {
			continue
		}
		if suggested[p.Name] {
			*ps.asked = append(*ps.asked, p.Name)
		}
		opts = append(opts, huh.NewOption(strings.TrimSuffix(forms.Label(p), " *")+" ("+p.Name+")", p.Name).Selected(suggested[p.Name]))
	}
	t := forms.Theme(ctx.Renderer)
	ps.form = huh.NewForm(huh.NewGroup(
		forms.Themed(t, huh.NewInput()).Key("name").Title("Profile name").Description("letters, digits, - and _; the file profiles/NAME.toml").
			Value(ps.name).Validate(desk.CheckProfileName),
		forms.Themed(t, huh.NewInput()).Key("title").Title("Title on home (optional)").Value(ps.title),
		forms.Themed(t, huh.NewMultiSelect[string]()).Key("asked").Title("Asked per customer").
			Description("x or space toggles; the others are fixed as reviewed").
			Options(opts...).Value(ps.asked).Height(min(len(opts)+2, 10)),
		forms.Themed(t, huh.NewInput()).Key("label").Title("Desk label (optional)").
			Description("e.g. Ticket number: asked with the fields, shown in lists; never sent").
			Value(ps.label),
	).WithTheme(t)).WithShowHelp(false).WithTheme(t)
	return ps
}

func (ps *profileSave) init() tea.Cmd { return ps.form.Init() }

func (ps *profileSave) update(msg tea.Msg) tea.Cmd {
	m, cmd := ps.form.Update(msg)
	if f, ok := m.(*huh.Form); ok {
		ps.form = f
	}
	switch ps.form.State {
	case huh.StateAborted:
		return func() tea.Msg { return profileSavedMsg{err: errors.New("cancelled")} }
	case huh.StateCompleted:
		d, dr := ps.ctx.Desk, ps.draft
		spec := desk.ProfileSpec{Name: strings.TrimSpace(*ps.name), Title: *ps.title, Label: *ps.label, Asked: *ps.asked}
		return func() tea.Msg {
			path, dropped, err := d.SaveProfile(dr, spec)
			if err != nil {
				return profileSavedMsg{err: err}
			}
			text := fmt.Sprintf("saved profile %s (%s): home lists it first", spec.Name, path)
			if len(dropped) > 0 {
				text += "; left out (personal or per-launch): " + strings.Join(dropped, ", ")
			}
			return profileSavedMsg{text: text}
		}
	}
	return cmd
}

func (ps *profileSave) view() string { return ps.form.View() }

// profileSavedMsg reports review's `p`.
type profileSavedMsg struct {
	text string
	err  error
}
