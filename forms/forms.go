// Package forms builds huh forms from a provider's parameter spec: the
// essentials first, everything else in Advanced pages, every field with a
// short plain label and a one-line summary (the full doc text, allowed
// values and constraints one key away), and field rules checked at the
// field by the same code the CLI uses. Fields that need no answer (a
// single allowed value, an id the provider makes fresh per launch) are not
// asked; review shows them.
package forms

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/kycdesk/kycdesk/internal/keybar"
	"github.com/kycdesk/kycdesk/internal/termstyle"
	"github.com/kycdesk/kycdesk/providers"
)

// AdvancedPageSize is the most fields one form page holds, so a page fits
// an 80×24 terminal.
const AdvancedPageSize = 4

// pageLines bounds the lines of one page (a text field takes four, a
// dropdown two and one per option): huh renders every field of the page,
// every option of every dropdown, on each keystroke, so a page of a few
// fields keeps typing cheap (issue 12, Speed) and the focused field on
// screen. A dropdown longer than that has a page of its own.
const pageLines = 14

// pages cuts names into pages: [start, end) index pairs.
func pages(names []string, options map[string]int) [][2]int {
	var out [][2]int
	start, lines := 0, 0
	for i, n := range names {
		l := 4
		if o, ok := options[n]; ok {
			l = 3 + o
		}
		if i > start && (lines+l > pageLines || i-start >= AdvancedPageSize) {
			out = append(out, [2]int{start, i})
			start, lines = i, 0
		}
		lines += l
	}
	if len(names) > start {
		out = append(out, [2]int{start, len(names)})
	}
	return out
}

// unset is the select value meaning "do not send this parameter".
const unset = ""

// advancedKey is the key of the "Advanced parameters?" question.
const advancedKey = "kycdesk.advanced"

// DocKey opens and closes the focused field's full documentation. ctrl+o
// is free in huh's fields and in bubbles' text inputs (ctrl+d deletes, ?
// is text); F1 is often taken by the terminal.
var DocKey = key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "field doc"))

// themeKey is what a form theme depends on: how the terminal draws
// colours and which of the adaptive colours it takes.
type themeKey struct {
	profile termenv.Profile
	dark    bool
}

// themes holds one theme per themeKey: at most eight, shared by every
// console (local or served) whose terminal draws that way.
var themes sync.Map

// Theme is huh's Charm theme drawn for r's terminal (nil: lipgloss's
// default renderer, the local one), built once per colour profile and
// background. huh builds its whole default theme for every field and
// option it renders without one, which made each keystroke, and each new
// form, cost milliseconds and megabytes (issue 12, Speed; issue 14, the
// 50-desk budget). Its styles are bound to a renderer of their own with
// r's profile and background, so a served desk's form takes the colours
// of the desk's terminal, not the server's, resolved once for it.
func Theme(r *lipgloss.Renderer) *huh.Theme {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	k := themeKey{profile: r.ColorProfile(), dark: r.HasDarkBackground()}
	if t, ok := themes.Load(k); ok {
		return t.(*huh.Theme)
	}
	own := lipgloss.NewRenderer(io.Discard)
	own.SetColorProfile(k.profile)
	own.SetHasDarkBackground(k.dark)
	t := huh.ThemeCharm()
	// huh marks a field in error with " *", which reads as a second
	// required mark ("Document type * *"); a cross says it is wrong, and
	// the message under it names the field.
	t.Focused.ErrorIndicator = t.Focused.ErrorIndicator.SetString(" ✗")
	t.Focused.ErrorMessage = t.Focused.ErrorMessage.SetString("✗")
	termstyle.BindAll(t, own)
	actual, _ := themes.LoadOrStore(k, t)
	return actual.(*huh.Theme)
}

// Themed gives a huh field its theme before anything renders it: huh
// renders fields while building a group (to measure it) and a dropdown
// on every Options or Height call, each time with a freshly built default
// theme when the field has none.
func Themed[F huh.Field](t *huh.Theme, field F) F {
	field.WithTheme(t)
	return field
}

// Option adjusts how New builds a form.
type Option func(*Form)

// WithRenderer draws the form for r's terminal (see Theme); without it,
// for the local one.
func WithRenderer(r *lipgloss.Renderer) Option {
	return func(f *Form) { f.theme = Theme(r) }
}

// Form is a huh form bound to a parameter spec.
type Form struct {
	*huh.Form
	title    string
	spec     providers.Spec
	single   map[string]*string
	multi    map[string]*[]string
	advanced *bool
	// deferred: the Advanced pages are not built yet (see build).
	deferred bool
	// Essentials and Advanced list the parameter names asked in each part.
	Essentials, Advanced []string
	// Skipped lists the parameters not asked (Skips): review shows them.
	Skipped []string
	// kept holds initial values of skipped fields, returned as they came
	// (an id generated before an edit from review stays the same).
	kept providers.Values
	// fields and groups locate each asked field, for Focus and SetSize.
	fields  map[string]huh.Field
	groupOf map[string]int
	selects map[string]int // option count of each dropdown
	width   int
	height  int
	// doc is the parameter whose full documentation is open, or "".
	doc   string
	theme *huh.Theme
	// cache is every field as its page holds it (views kept until changed).
	cache []*cachedField
	// fresh draws every field afresh (the cache's test compares).
	fresh bool
}

// IsEssential reports whether a parameter belongs in the Essentials group:
// required ones and those the provider marks as mattering at a desk.
func IsEssential(p providers.Param) bool { return p.Required || p.Essential }

// Skips reports whether the form leaves a parameter out: it has a single
// allowed value (ProductCode eKYC, DWS authenticationMethod OTP), or the
// provider makes a fresh one for every launch (MerchantBizId,
// authenticationRequestId). Prepare fills both; review shows them.
func Skips(p providers.Param) bool {
	if _, ok := p.OnlyValue(); ok {
		return true
	}
	return p.Unique && p.Generate != nil
}

// New builds the form for spec, pre-filled with initial (nil for none).
// showAdvanced opens the Advanced pages without asking.
func New(title string, spec providers.Spec, initial providers.Values, showAdvanced bool, opts ...Option) *Form {
	f := &Form{title: title, spec: spec}
	for _, o := range opts {
		o(f)
	}
	if f.theme == nil {
		f.theme = Theme(nil)
	}
	f.build(initial, showAdvanced)
	return f
}

// build makes the fields and pages, filled from initial. The Advanced
// pages wait until they are shown (the question answered Show, or a Focus
// there) when they start hidden and empty: most launches never open
// them, and huh renders every page of a form several times while
// building it, hidden or not (iDenfy's 38 advanced fields were four
// fifths of opening its form; issue 14, the 50-desk budget).
func (f *Form) build(initial providers.Values, showAdvanced bool) {
	f.single, f.multi, f.advanced = map[string]*string{}, map[string]*[]string{}, new(bool)
	f.kept, f.fields, f.groupOf, f.selects = providers.Values{}, map[string]huh.Field{}, map[string]int{}, map[string]int{}
	f.Essentials, f.Advanced, f.Skipped, f.cache = nil, nil, nil, nil
	*f.advanced = showAdvanced
	var advanced providers.Spec
	for _, p := range f.spec {
		switch {
		case Skips(p):
			f.Skipped = append(f.Skipped, p.Name)
			if initial.Has(p.Name) {
				f.kept.Set(p.Name, initial[p.Name]...)
			}
		case IsEssential(p):
			f.fields[p.Name] = f.field(p, initial)
			f.Essentials = append(f.Essentials, p.Name)
		default:
			advanced = append(advanced, p)
			f.Advanced = append(f.Advanced, p.Name)
		}
	}
	ask := len(f.Advanced) > 0 && len(f.Essentials) > 0
	if !ask {
		*f.advanced = true // nothing to ask: a spec of advanced fields only shows them
	}
	f.deferred = !*f.advanced
	for _, p := range advanced {
		if initial.Has(p.Name) {
			f.deferred = false // a value to keep: its field holds it
		}
	}
	if !f.deferred {
		for _, p := range advanced {
			f.fields[p.Name] = f.field(p, initial)
		}
	}
	var groups []*huh.Group
	page := func(names []string, title string, last huh.Field, hide func() bool) {
		var fs []huh.Field
		for _, n := range names {
			f.groupOf[n] = len(groups)
			c := &cachedField{Field: f.fields[n], off: &f.fresh}
			f.cache = append(f.cache, c)
			fs = append(fs, c)
		}
		if last != nil {
			c := &cachedField{Field: last, off: &f.fresh}
			f.cache = append(f.cache, c)
			fs = append(fs, c)
		}
		g := huh.NewGroup(fs...).Title(title).WithTheme(f.theme)
		if hide != nil {
			g = g.WithHideFunc(hide)
		}
		groups = append(groups, g)
	}
	essentialPages := pages(f.Essentials, f.selects)
	for i, pg := range essentialPages {
		t := f.title + " — essentials"
		if len(essentialPages) > 1 {
			t += fmt.Sprintf(" %d/%d", i+1, len(essentialPages))
		}
		var question huh.Field
		if i == len(essentialPages)-1 && ask { // the Advanced question ends the essentials
			question = Themed(f.theme, huh.NewConfirm()).Key(advancedKey).
				Title("Advanced parameters?").
				Description(fmt.Sprintf("%d more; provider defaults apply when unset.", len(f.Advanced))).
				Affirmative("Show").Negative("Review now").
				Value(f.advanced)
		}
		page(f.Essentials[pg[0]:pg[1]], t, question, nil)
	}
	if !f.deferred {
		advancedPages := pages(f.Advanced, f.selects)
		for i, pg := range advancedPages {
			page(f.Advanced[pg[0]:pg[1]], fmt.Sprintf("%s — advanced %d/%d", f.title, i+1, len(advancedPages)), nil,
				func() bool { return !*f.advanced })
		}
	}
	// The field's keys are drawn by View, wrapped between keys: huh's own
	// help line is cut with "…" when it is wider than the form.
	f.Form = huh.NewForm(groups...).WithShowHelp(false).WithShowErrors(true).WithTheme(f.theme)
}

// showAdvanced builds the deferred Advanced pages: the form again, from
// the values entered so far, with every page shown and the first advanced
// field focused.
func (f *Form) showAdvanced() tea.Cmd {
	f.build(f.Values(), true)
	cmd := f.Form.Init()
	if f.width > 0 || f.height > 0 {
		cmd = tea.Batch(cmd, f.SetSize(f.width, f.height))
	}
	f.Focus(f.Advanced[0])
	return cmd
}

// SetSize fits the form to the space the screen gives it: the width, and
// the height, which the form scrolls within so that the focused field is
// always on screen, and which dropdowns use to show as many options as fit.
func (f *Form) SetSize(width, height int) tea.Cmd {
	f.width, f.height = width, height
	f.touch()
	for name, field := range f.fields {
		p, _ := f.spec.Lookup(name)
		summary := Summary(p, width-2) // huh's field border and padding
		switch x := field.(type) {
		case *huh.Input:
			x.Description(summary)
			if p.Generate == nil {
				// The example cut to what the input shows, never to
				// nothing.
				x.Placeholder(Example(p, width-inputFrame-inputChrome))
			}
		case *huh.Text:
			x.Description(summary)
		case *huh.Select[string]:
			x.Description(summary).Height(f.dropdownHeight(f.selects[name]))
		case *huh.MultiSelect[string]:
			x.Description(summary).Height(f.dropdownHeight(f.selects[name]))
		}
	}
	// The keys View draws under the fields take a blank line and up to
	// two lines (huh draws one line more than the height it is given only
	// with its own help, which is off).
	h := height - helpLines
	f.Form = f.Form.WithWidth(width).WithHeight(h)
	m, cmd := f.Form.Update(tea.WindowSizeMsg{Width: width, Height: h})
	if ff, ok := m.(*huh.Form); ok {
		f.Form = ff
	}
	return cmd
}

// dropdownHeight is a dropdown's height (title and summary lines
// included): all its options when they fit, else what the window leaves
// after the group's title and the help lines.
func (f *Form) dropdownHeight(options int) int {
	want := options + 2
	if f.height <= 0 {
		return min(want, 9)
	}
	return max(4, min(want, f.height-4))
}

// Update passes a message to the form; DocKey opens the focused field's
// full documentation, and any other key closes it and goes on to the form.
func (f *Form) Update(msg tea.Msg) tea.Cmd {
	if km, ok := msg.(tea.KeyMsg); ok {
		if key.Matches(km, DocKey) {
			if f.doc != "" {
				f.doc = ""
			} else if field := f.Form.GetFocusedField(); field != nil {
				if _, ok := f.fields[field.GetKey()]; ok {
					f.doc = field.GetKey()
				}
			}
			return nil
		}
		f.doc = ""
	}
	m, cmd := f.Form.Update(msg)
	if ff, ok := m.(*huh.Form); ok {
		f.Form = ff
	}
	if f.deferred && *f.advanced && f.Form.State == huh.StateCompleted {
		// Show: the essentials are done and the Advanced pages come next.
		return f.showAdvanced()
	}
	return cmd
}

// View is the form, or the focused field's documentation while it is open.
func (f *Form) View() string {
	if f.doc == "" {
		v := f.Form.View()
		if len(f.Form.Errors()) == 0 { // huh says the error in their place
			v += "\n\n" + f.keysView()
		}
		return v
	}
	p, _ := f.spec.Lookup(f.doc)
	w := f.width
	if w <= 0 {
		w = 80
	}
	t := f.theme
	body := lipgloss.NewStyle().Width(w).Render(Description(p)) // no colours: any renderer wraps alike
	lines := strings.Split(body, "\n")
	if f.height > 3 && len(lines) > f.height-3 {
		lines = append(lines[:f.height-4], "… (all of it: kycdesk params)")
	}
	return t.Focused.Title.Render(Title(p)) + "\n" + strings.Join(lines, "\n") + "\n\n" +
		t.Help.ShortDesc.Render(DocKey.Help().Key+" closes · any key goes back to the field")
}

// helpLines is the room the field's keys take under the form: a blank
// line and at most two lines of keys.
const helpLines = 3

// keysView is the focused field's keys, each whole, wrapped between keys
// to the form's width (at most two lines).
func (f *Form) keysView() string {
	h := f.Form.Help()
	sep := h.Styles.ShortSeparator.Render(h.ShortSeparator)
	lines := keybar.Lines(keybar.Views(h, f.Form.KeyBinds()), sep, f.width)
	if len(lines) > helpLines-1 {
		lines = lines[:helpLines-1]
	}
	// Always as many lines, the keys last: they stay next to the
	// console's own key bar whatever the field.
	for len(lines) < helpLines-1 {
		lines = append([]string{""}, lines...)
	}
	return strings.Join(lines, "\n")
}

// DocOpen names the parameter whose documentation is shown, or "".
func (f *Form) DocOpen() string { return f.doc }

// Focus moves to the named field wherever it is (an edit from review, a
// fix-up), opening the Advanced pages when it is there. It reports
// whether the field is now focused; a skipped or unknown name is not.
func (f *Form) Focus(name string) bool {
	if f.deferred && contains(f.Advanced, name) {
		f.showAdvanced() // its cursor-blink command is not needed to focus
	}
	g, ok := f.groupOf[name]
	if !ok {
		return false
	}
	if g > 0 {
		*f.advanced = true
		f.touch() // the Advanced question shows the answer
	}
	// Bounded walks: a group with a refused field does not let go.
	for i := 0; i < len(f.groupOf)+2 && f.groupOf[f.focusedKey()] < g; i++ {
		f.Form.NextGroup()
	}
	for i := 0; i < len(f.fields)+2 && f.focusedKey() != name; i++ {
		f.Form.NextField()
	}
	return f.focusedKey() == name
}

// touch drops the kept views: fields changed from here, not by messages.
func (f *Form) touch() {
	for _, c := range f.cache {
		c.touch()
	}
}

func (f *Form) focusedKey() string {
	if field := f.Form.GetFocusedField(); field != nil {
		return field.GetKey()
	}
	return ""
}

// Summary is a field's one-line description: the first sentence of its
// doc, cut to width with "…"; the rest is one key away (DocKey). An
// abbreviation ("e.g. GB") does not end the sentence, and a cut never
// leaves an example's "e.g." with nothing after it.
func Summary(p providers.Param, width int) string {
	s := firstSentence(p.Doc)
	if width <= 1 || ansi.StringWidth(s) <= width {
		return s
	}
	return withoutDanglingExample(cutAtWord(s, width-1)) + "…"
}

// Cut is s in w columns: whole when it fits, else cut after its last
// whole word that fits, with "…" ("docum…" read as a word of its own).
func Cut(s string, w int) string {
	if w <= 1 || ansi.StringWidth(s) <= w {
		return s
	}
	return cutAtWord(s, w-1) + "…"
}

// cutAtWord is s cut to at most w columns, back to the end of a word when
// one ends in the second half (a long word is cut where it must be).
func cutAtWord(s string, w int) string {
	t := ansi.Truncate(s, w, "")
	if len(t) < len(s) && s[len(t)] != ' ' {
		if i := strings.LastIndexByte(t, ' '); i > len(t)/2 {
			t = t[:i]
		}
	}
	// A number whose unit was cut off ("valid 30…" of "valid 30
	// minutes") says something else: it goes too.
	if len(t) < len(s) {
		if i := strings.LastIndexByte(t, ' '); i > len(t)/2 && strings.Trim(t[i+1:], "0123456789") == "" {
			t = t[:i]
		}
	}
	return strings.TrimRight(t, " ,;:(-+")
}

// abbreviations end in a period without ending a sentence.
var abbreviations = []string{"e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "No."}

// firstSentence is s up to its first ". " that is not an abbreviation's.
func firstSentence(s string) string {
	for from := 0; ; {
		i := strings.Index(s[from:], ". ")
		if i < 0 {
			return s
		}
		end := from + i + 1 // after the period
		abbr := false
		for _, a := range abbreviations {
			if strings.HasSuffix(s[:end], a) && (end == len(a) || s[end-len(a)-1] == ' ' || s[end-len(a)-1] == '(') {
				abbr = true
			}
		}
		if !abbr {
			return s[:end]
		}
		from = end
	}
}

// withoutDanglingExample drops an "e.g." (or "such as") that a cut left
// with nothing after it, with the comma or parenthesis before it: the
// example is absent rather than announced and empty.
func withoutDanglingExample(s string) string {
	t := strings.TrimRight(s, " ")
	for _, a := range []string{"e.g.", "e.g", "e.", "such as", "for example", "i.e.", "i.e"} {
		if strings.HasSuffix(t, " "+a) || strings.HasSuffix(t, "("+a) || t == a {
			return strings.TrimRight(strings.TrimSuffix(t, a), " ,(;:")
		}
	}
	return s
}

// An input's width as huh draws it: its frame (border, padding) and,
// inside, the prompt "> " and the cell after the text.
const (
	inputFrame  = 2
	inputChrome = 3
)

// Example is a field's placeholder: "e.g. " and its documented example,
// cut with "…" to width (0: whole) but never to nothing; "" when the field
// has no example or not one character of it fits.
func Example(p providers.Param, width int) string {
	ex := strings.TrimSpace(providers.SanitizeLine(p.Placeholder))
	if ansi.StringWidth(ex) == 0 {
		return ""
	}
	ph := "e.g. " + ex
	if width <= 0 || ansi.StringWidth(ph) <= width {
		return ph
	}
	if width < ansi.StringWidth("e.g. x…") {
		return ""
	}
	return ansi.Truncate(ph, width-1, "") + "…"
}

// Label is a field's short plain title: its label (or wire name) and the
// required mark.
func Label(p providers.Param) string {
	t := p.Label
	if t == "" {
		t = p.Name
	}
	if p.Required && p.Generate == nil {
		t += " *"
	}
	return t
}

// Title is the documentation's title: label, wire name, required mark.
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

// Description is the full documentation: the doc text and the
// constraints, shown with DocKey.
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
	title, desc := Label(p), Summary(p, 0)
	switch {
	case p.Kind == providers.KindMultiEnum:
		v := append([]string(nil), initial.List(p.Name)...)
		f.multi[p.Name] = &v
		opts := make([]huh.Option[string], len(p.Options))
		for i, o := range p.Options {
			opts[i] = huh.NewOption(o.Title(), o.Value).Selected(contains(v, o.Value))
		}
		f.selects[p.Name] = len(opts)
		return Themed(f.theme, huh.NewMultiSelect[string]()).Key(p.Name).Title(title).Description(desc).
			Options(opts...).Height(f.dropdownHeight(len(opts))).Value(f.multi[p.Name]).
			Validate(func(vals []string) error {
				cp := p
				errs := providers.ValidateSpec(providers.Spec{cp}, providers.Values{p.Name: vals})
				if err := firstError(errs); err != nil {
					return errors.New(strings.TrimSuffix(Label(p), " *") + ": " + err.Error())
				}
				return nil
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
		f.selects[p.Name] = len(opts)
		return Themed(f.theme, huh.NewSelect[string]()).Key(p.Name).Title(title).Description(desc).
			Options(opts...).Height(f.dropdownHeight(len(opts))).Value(f.single[p.Name]).
			Validate(func(s string) error { return checkOne(p, s) })
	case p.Kind == providers.KindJSON && len(p.Options) == 0:
		v := initial.Get(p.Name)
		f.single[p.Name] = &v
		ph := Example(p, 0)
		return Themed(f.theme, huh.NewText()).Key(p.Name).Title(title).Description(desc).Lines(3).
			Placeholder(ph).Value(f.single[p.Name]).
			Validate(func(s string) error { return checkOne(p, s) })
	default:
		v := initial.Get(p.Name)
		f.single[p.Name] = &v
		in := Themed(f.theme, huh.NewInput()).Key(p.Name).Title(title).Description(desc).Value(f.single[p.Name]).
			Validate(func(s string) error { return checkOne(p, s) })
		// Placeholders are examples, said so: dimmed text that looks like a
		// value is easy to take for one on a light theme.
		ph := Example(p, 0)
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
			// One over, so the field can say "too long" rather than
			// silently cut; and wide enough for its example, since huh
			// draws an input no wider than its limit, prompt included (a
			// 7-letter locale's "e.g. en" was drawn "e.g. …").
			in.CharLimit(max(p.MaxLen+1, ansi.StringWidth(Example(p, 0))+inputChrome))
		}
		return in
	}
}

func checkOne(p providers.Param, s string) error {
	msg := providers.CheckValue(p, s)
	switch {
	case msg == "":
		return nil
	case msg == "required" && len(p.Options) > 0:
		// Said where the keys were (huh shows the error in their place).
		return errors.New(strings.TrimSuffix(Label(p), " *") + " is required: choose one with ↑/↓, then enter")
	case msg == "required":
		return errors.New(strings.TrimSuffix(Label(p), " *") + " is required: type it, then enter")
	}
	// The field's name leads (huh draws the message in the key line, away
	// from the field): "Mobile number: is too long to be a phone number".
	return errors.New(strings.TrimSuffix(Label(p), " *") + ": " + msg)
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

// Values returns what the operator entered: only the set parameters, and
// the initial values of skipped ones.
func (f *Form) Values() providers.Values {
	out := f.kept.Clone()
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
