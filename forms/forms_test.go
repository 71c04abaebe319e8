package forms

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

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
	if !strings.Contains(v, "must be at most 5 characters") {
		t.Fatalf("no field error:\n%s", v)
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
