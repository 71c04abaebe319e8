package forms

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/kycdesk/kycdesk/providers"
)

var testSpec = providers.Spec{
	{Name: "clientId", Label: "Client ID", Kind: providers.KindText, Required: true, MaxLen: 5, Doc: "who"},
	{Name: "locale", Label: "UI language", Kind: providers.KindEnum, Essential: true, Default: "en",
		Options: []providers.Option{{Value: "lt", Label: "Lithuanian"}, {Value: "en", Label: "English"}}},
	{Name: "documents", Kind: providers.KindMultiEnum, Essential: true,
		Options: []providers.Option{{Value: "PASSPORT", Label: "Passport"}, {Value: "ID_CARD", Label: "ID card"}}},
	{Name: "showInstructions", Kind: providers.KindBool},
	{Name: "additionalSteps", Kind: providers.KindJSON, JSONObject: true},
	{Name: "externalRef", Kind: providers.KindText, MaxLen: 40},
}

func TestEssentialsFirstAdvancedBehindAQuestion(t *testing.T) {
	f := New("Test", testSpec, nil, false)
	if strings.Join(f.Essentials, ",") != "clientId,locale,documents" {
		t.Fatalf("essentials: %v", f.Essentials)
	}
	if strings.Join(f.Advanced, ",") != "showInstructions,additionalSteps,externalRef" {
		t.Fatalf("advanced: %v", f.Advanced)
	}
	f.Form.Init()
	v := f.View()
	for _, want := range []string{"Test — essentials", "Client ID *", "who"} {
		if !strings.Contains(v, want) {
			t.Errorf("form lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "[required, max length 5]") {
		t.Errorf("the full doc is in the form's way:\n%s", v)
	}
	// The full doc is one key away, and the next key goes back to the field.
	f.Update(tea.KeyMsg{Type: tea.KeyCtrlO})
	if f.DocOpen() != "clientId" {
		t.Fatalf("doc open on %q", f.DocOpen())
	}
	v = f.View()
	for _, want := range []string{"Client ID (clientId) *", "who", "[required, max length 5]"} {
		if !strings.Contains(v, want) {
			t.Errorf("doc lacks %q:\n%s", want, v)
		}
	}
	f.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c")})
	if f.DocOpen() != "" || f.Values().Get("clientId") != "c" {
		t.Fatalf("doc %q, values %v", f.DocOpen(), f.Values())
	}
}

func TestTitlesAndDescriptions(t *testing.T) {
	if got := Title(testSpec[0]); got != "Client ID (clientId) *" {
		t.Fatal(got)
	}
	if got := Description(testSpec[1]); !strings.Contains(got, "default en") {
		t.Fatal(got)
	}
	if got := (providers.Option{Value: "PASSPORT", Label: "Passport"}).Title(); got != "PASSPORT — Passport" {
		t.Fatal(got)
	}
}

func TestInitialValuesComeBackAndEmptyOnesAreNotSent(t *testing.T) {
	in := providers.Values{"clientId": {"c1"}, "documents": {"ID_CARD"}, "additionalSteps": {`{"ALL":{}}`}}
	f := New("Test", testSpec, in, true)
	got := f.Values()
	if got.Get("clientId") != "c1" || strings.Join(got.List("documents"), ",") != "ID_CARD" || got.Get("additionalSteps") != `{"ALL":{}}` {
		t.Fatalf("values: %v", got)
	}
	if got.Has("locale") || got.Has("showInstructions") || got.Has("externalRef") {
		t.Fatalf("unset fields sent: %v", got)
	}
}

// The field refuses a bad value with the same message the CLI gives.
func TestFieldValidationUsesTheSpec(t *testing.T) {
	f := New("Test", testSpec, providers.Values{"clientId": {"toolong"}}, false)
	f.Form.Init()
	m, _ := f.Form.Update(tea.KeyMsg{Type: tea.KeyEnter})
	f.Form = m.(*huh.Form)
	v := f.Form.View()
	if !strings.Contains(v, "must be at most 5 characters") || !strings.Contains(v, "Client ID: must be at most 5 characters") {
		t.Fatalf("no field error naming its field:\n%s", v)
	}
	if f.Form.State != huh.StateNormal {
		t.Fatal("a bad value completed the form")
	}
}

func TestSplit(t *testing.T) {
	e, a := Split(testSpec)
	if len(e) != 3 || len(a) != 3 {
		t.Fatalf("split %d/%d", len(e), len(a))
	}
	f := New("Adv", a, nil, false) // advanced only: shown without asking
	if !*f.advanced {
		t.Fatal("an advanced-only form hides its fields")
	}
}

// drive hands msg to the form and then what its commands answer, as a
// program would. The cursor's blink ticks are not fed back (they would
// tick forever); a command that does not answer within a generous wait is
// dropped.
func drive(f *Form, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for n := 0; len(queue) > 0 && n < 200; n++ {
		m := queue[0]
		queue = queue[1:]
		var cmds []tea.Cmd
		switch m := m.(type) {
		case tea.BatchMsg:
			cmds = m
		default:
			if v := reflect.ValueOf(m); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
				cmds = v.Convert(reflect.TypeFor[[]tea.Cmd]()).Interface().([]tea.Cmd) // tea.Sequence's
			} else {
				cmds = []tea.Cmd{f.Update(m)}
			}
		}
		got := make(chan tea.Msg, len(cmds))
		waiting := 0
		for _, c := range cmds {
			if c != nil {
				waiting++
				go func() { got <- c() }()
			}
		}
		deadline := time.After(5 * time.Second)
		for ; waiting > 0; waiting-- {
			select {
			case r := <-got:
				if r != nil && !strings.HasPrefix(fmt.Sprintf("%T", r), "cursor.") {
					queue = append(queue, r)
				}
			case <-deadline:
				waiting = 0
			}
		}
	}
}

// The Advanced pages are built when the operator asks for them, with
// what was typed kept and the first advanced field focused; a form that
// opens with advanced values has them from the start.
func TestAdvancedPagesBuiltWhenShown(t *testing.T) {
	f := New("Test", testSpec, nil, false)
	f.SetSize(100, 30)
	f.Init()
	if !f.deferred || f.Focus("nothing") {
		t.Fatal("advanced pages built before they are asked for")
	}
	for _, k := range []tea.Msg{tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("c1")}, tea.KeyMsg{Type: tea.KeyEnter}} {
		drive(f, k)
	}
	for i := 0; i < 5 && f.Form.GetFocusedField().GetKey() != advancedKey; i++ {
		drive(f, tea.KeyMsg{Type: tea.KeyEnter})
	}
	if got := f.Form.GetFocusedField().GetKey(); got != advancedKey {
		t.Fatalf("focused %q, want the Advanced question", got)
	}
	drive(f, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	if f.deferred || f.Form.State != huh.StateNormal {
		t.Fatalf("Show: deferred %v, state %v", f.deferred, f.Form.State)
	}
	if got := f.Form.GetFocusedField().GetKey(); got != "showInstructions" {
		t.Errorf("focused %q after Show, want the first advanced field", got)
	}
	if v := f.Values(); v.Get("clientId") != "c1" {
		t.Errorf("values after Show: %v", v)
	}
	if v := ansi.Strip(f.View()); !strings.Contains(v, "Test — advanced 1/") {
		t.Errorf("not on the advanced page:\n%s", v)
	}

	g := New("Test", testSpec, providers.Values{"externalRef": {"r1"}}, false)
	if g.deferred || g.Values().Get("externalRef") != "r1" {
		t.Errorf("an advanced value: deferred %v, values %v", g.deferred, g.Values())
	}
}

// A form's colours follow the renderer it is drawn for (a served desk's
// terminal), not lipgloss's global one, and a theme is built once per
// colour profile and background.
func TestThemeFollowsTheRenderer(t *testing.T) {
	desk := func(p termenv.Profile, dark bool) *lipgloss.Renderer {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(p)
		r.SetHasDarkBackground(dark)
		return r
	}
	trueDark, trueLight := Theme(desk(termenv.TrueColor, true)), Theme(desk(termenv.TrueColor, false))
	if Theme(desk(termenv.TrueColor, true)) != trueDark {
		t.Error("a second renderer of the same kind built another theme")
	}
	dark, light := trueDark.Focused.Title.Render("x"), trueLight.Focused.Title.Render("x")
	if !strings.Contains(dark, "\x1b[") || dark == light {
		t.Errorf("true-colour title: dark %q, light %q", dark, light)
	}
	if plain := Theme(desk(termenv.Ascii, true)).Focused.Title.Render("x"); plain != "x" {
		t.Errorf("a terminal without colours got %q", plain)
	}
	f := New("Test", testSpec, nil, false, WithRenderer(desk(termenv.TrueColor, true)))
	f.SetSize(100, 30)
	f.Init()
	if v := f.View(); !strings.Contains(v, "\x1b[38;2;") {
		t.Errorf("the form drawn for a true-colour desk has no true colour:\n%q", v)
	}
}
