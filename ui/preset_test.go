package ui

import (
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

func TestPresetSavedFromReviewAndLoadedByTheNextForm(t *testing.T) {
	ctx, _ := testContext(t, "http://127.0.0.1:8470")
	saved := map[string]providers.Values{}
	ctx.SavePreset = func(id string, v providers.Values) (string, error) {
		saved[id] = v
		return "/tmp/presets/" + id + ".json", nil
	}
	ctx.LoadPreset = func(id string) (providers.Values, error) { return saved[id], nil }
	m := New(ctx)
	send(m, size(100, 30))
	e := ctx.entry("idenfy")
	send(m, reviewMsg{draft: ctx.Desk.Draft(e, providers.Values{"clientId": {"c-9"}, "firstName": {"Jonas"}, "locale": {"lt"}, "documents": {"PASSPORT"}})})
	send(m, press("p"))
	got := saved["idenfy"]
	if got.Get("locale") != "lt" || got.Get("documents") != "PASSPORT" {
		t.Fatalf("preset: %v", got)
	}
	if got.Has("clientId") || got.Has("firstName") {
		t.Fatalf("the preset keeps the customer id or personal data: %v", got)
	}
	if !strings.Contains(m.View(), "saved as the preset") {
		t.Fatalf("no confirmation:\n%s", m.View())
	}
	send(m, goHomeMsg{}, press("1"))
	if v := m.form.form.Values(); v.Get("locale") != "lt" || v.Get("documents") != "PASSPORT" {
		t.Fatalf("the next form does not start from the preset: %v", v)
	}
}
