// Package forms builds huh forms from a provider's parameter spec: the
// essentials first, everything else in Advanced pages, every field with its
// doc text, its allowed values with human labels and its constraints, and
// field rules checked at the field by the same code the CLI uses.
package forms

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/huh"

	"github.com/kycdesk/kycdesk/providers"
)

// AdvancedPageSize is how many advanced fields one form page holds, so a
// page fits an 80×24 terminal.
const AdvancedPageSize = 4

// unset is the select value meaning "do not send this parameter".
const unset = ""

// Form is a huh form bound to a parameter spec.
type Form struct {
	*huh.Form
	spec     providers.Spec
	single   map[string]*string
	multi    map[string]*[]string
	advanced *bool
	// Essentials and Advanced list the parameter names in each part.
	Essentials, Advanced []string
}

// IsEssential reports whether a parameter belongs in the Essentials group:
// required ones and those the provider marks as mattering at a desk.
func IsEssential(p providers.Param) bool { return p.Required || p.Essential }

// New builds the form for spec, pre-filled with initial (nil for none).
// showAdvanced opens the Advanced pages without asking.
func New(title string, spec providers.Spec, initial providers.Values, showAdvanced bool) *Form {
	f := &Form{spec: spec, single: map[string]*string{}, multi: map[string]*[]string{}, advanced: new(bool)}
	*f.advanced = showAdvanced
	var essentials, advanced []huh.Field
	for _, p := range spec {
		field := f.field(p, initial)
		if IsEssential(p) {
			essentials = append(essentials, field)
			f.Essentials = append(f.Essentials, p.Name)
		} else {
			advanced = append(advanced, field)
			f.Advanced = append(f.Advanced, p.Name)
		}
	}
	ask := len(advanced) > 0 && len(essentials) > 0
	if !ask {
		*f.advanced = true // nothing to ask: a spec of advanced fields only shows them
	}
	if ask {
		essentials = append(essentials, huh.NewConfirm().
			Title("Advanced parameters?").
			Description(fmt.Sprintf("%d more documented parameters; their provider defaults apply when left unset.", len(advanced))).
			Affirmative("Show").Negative("Review now").
			Value(f.advanced))
	}
	var groups []*huh.Group
	if len(essentials) > 0 {
		groups = append(groups, huh.NewGroup(essentials...).Title(title+" — essentials"))
	}
	pages := (len(advanced) + AdvancedPageSize - 1) / AdvancedPageSize
	for i := 0; i < pages; i++ {
		end := min((i+1)*AdvancedPageSize, len(advanced))
		g := huh.NewGroup(advanced[i*AdvancedPageSize : end]...).
			Title(fmt.Sprintf("%s — advanced %d/%d", title, i+1, pages)).
			WithHideFunc(func() bool { return !*f.advanced })
		groups = append(groups, g)
	}
	f.Form = huh.NewForm(groups...).WithShowHelp(true).WithShowErrors(true)
	return f
}

// Title is how a field is titled: label, wire name, required mark.
func Title(p providers.Param) string {
	t := p.Label
	if t == "" || t == p.Name {
		t = p.Name
	} else {
		t += " (" + p.Name + ")"
	}
	if p.Required && p.Generate == nil {
		t += " *"
	}
	return t
}

// Description is the doc text and the constraints, shown under the title.
func Description(p providers.Param) string {
	var parts []string
	if p.Doc != "" {
		parts = append(parts, p.Doc)
	}
	var facts []string
	if c := p.Constraints(); c != "" {
		facts = append(facts, c)
	}
	if p.Default != "" {
		facts = append(facts, "default "+p.Default)
	}
	if p.Generate != nil {
		facts = append(facts, "generated when empty")
	}
	if len(facts) > 0 {
		parts = append(parts, "["+strings.Join(facts, "; ")+"]")
	}
	return strings.Join(parts, " ")
}

func (f *Form) field(p providers.Param, initial providers.Values) huh.Field {
	title, desc := Title(p), Description(p)
	switch {
	case p.Kind == providers.KindMultiEnum:
		v := append([]string(nil), initial.List(p.Name)...)
		f.multi[p.Name] = &v
		opts := make([]huh.Option[string], len(p.Options))
		for i, o := range p.Options {
			opts[i] = huh.NewOption(o.Title(), o.Value).Selected(contains(v, o.Value))
		}
		return huh.NewMultiSelect[string]().Key(p.Name).Title(title).Description(desc).
			Options(opts...).Height(min(len(opts)+2, 8)).Value(f.multi[p.Name]).
			Validate(func(vals []string) error {
				cp := p
				errs := providers.ValidateSpec(providers.Spec{cp}, providers.Values{p.Name: vals})
				return firstError(errs)
			})
	case p.Kind == providers.KindEnum || p.Kind == providers.KindBool:
		v := initial.Get(p.Name)
		f.single[p.Name] = &v
		var opts []huh.Option[string]
		switch {
		case p.Required && p.Default == "":
			// A required choice with no default: the operator picks one
			// (leaving this selected is refused as "required").
			opts = append(opts, huh.NewOption("— choose one —", unset))
		case !p.Required:
			label := "not set (provider default)"
			if p.Default != "" {
				label = "not set (provider default: " + p.Default + ")"
			}
			opts = append(opts, huh.NewOption(label, unset))
		}
		choices := p.Options
		if p.Kind == providers.KindBool && len(choices) == 0 {
			choices = []providers.Option{{Value: "true", Label: "yes"}, {Value: "false", Label: "no"}}
		}
		for _, o := range choices {
			opts = append(opts, huh.NewOption(o.Title(), o.Value))
		}
		if v == "" && p.Required && p.Default != "" {
			v = p.Default
		}
		return huh.NewSelect[string]().Key(p.Name).Title(title).Description(desc).
			Options(opts...).Height(min(len(opts)+2, 9)).Value(f.single[p.Name]).
			Validate(func(s string) error { return checkOne(p, s) })
	case p.Kind == providers.KindJSON && len(p.Options) == 0:
		v := initial.Get(p.Name)
		f.single[p.Name] = &v
		ph := ""
		if p.Placeholder != "" {
			ph = "e.g. " + p.Placeholder
		}
		return huh.NewText().Key(p.Name).Title(title).Description(desc).Lines(3).
			Placeholder(ph).Value(f.single[p.Name]).
			Validate(func(s string) error { return checkOne(p, s) })
	default:
		v := initial.Get(p.Name)
		f.single[p.Name] = &v
		in := huh.NewInput().Key(p.Name).Title(title).Description(desc).Value(f.single[p.Name]).
			Validate(func(s string) error { return checkOne(p, s) })
		// Placeholders are examples, said so: dimmed text that looks like a
		// value is easy to take for one on a light theme.
		ph := ""
		if p.Placeholder != "" {
			ph = "e.g. " + p.Placeholder
		}
		if p.Generate != nil {
			ph = "generated if left empty"
		}
		if ph != "" {
			in.Placeholder(ph)
		}
		if len(p.Options) > 0 {
			s := make([]string, len(p.Options))
			for i, o := range p.Options {
				s[i] = o.Value
			}
			in.Suggestions(s)
		}
		if p.MaxLen > 0 {
			in.CharLimit(p.MaxLen + 1) // one over, so the field can say "too long" rather than silently cut
		}
		return in
	}
}

func checkOne(p providers.Param, s string) error {
	if msg := providers.CheckValue(p, s); msg != "" {
		return errors.New(msg)
	}
	return nil
}

func firstError(errs []providers.FieldError) error {
	for _, e := range errs {
		if !e.Warning {
			return errors.New(e.Message)
		}
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Split divides a spec into its essential and advanced parameters.
func Split(spec providers.Spec) (essentials, advanced providers.Spec) {
	for _, p := range spec {
		if IsEssential(p) {
			essentials = append(essentials, p)
		} else {
			advanced = append(advanced, p)
		}
	}
	return
}

// Values returns what the operator entered: only the set parameters.
func (f *Form) Values() providers.Values {
	out := providers.Values{}
	for _, p := range f.spec {
		if v, ok := f.single[p.Name]; ok && strings.TrimSpace(*v) != "" {
			out.Set(p.Name, strings.TrimSpace(*v))
		}
		if v, ok := f.multi[p.Name]; ok && len(*v) > 0 {
			out.Set(p.Name, *v...)
		}
	}
	return out
}
