package config

import (
	"os"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

func TestPresetRoundTrip(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	if v, err := LoadPreset(nil, "idenfy"); err != nil || v != nil {
		t.Fatalf("no preset: %v %v", v, err)
	}
	path, err := SavePreset(nil, "idenfy", providers.Values{"locale": {"lt"}, "documents": {"PASSPORT", "ID_CARD"}})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("preset mode %v", st.Mode().Perm())
	}
	v, err := LoadPreset(nil, "idenfy")
	if err != nil || v.Get("locale") != "lt" || len(v.List("documents")) != 2 {
		t.Fatalf("loaded %v %v", v, err)
	}
}
