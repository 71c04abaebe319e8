package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProfile writes $XDG_CONFIG_HOME/kycdesk/profiles/NAME.toml.
func writeProfile(t *testing.T, name, text string) {
	t.Helper()
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kycdesk", "profiles")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

const lt = `provider = "idenfy"
asked = ["clientId"]
accepted = []
[values]
locale = "lt"
documents = ["PASSPORT"]
`

// launch --profile NAME --set …: the profile's fixed values with the
// asked ones typed; a field the profile does not ask is refused.
func TestLaunchWithAProfile(t *testing.T) {
	isolate(t)
	writeProfile(t, "lt", lt)
	r := run0(t, "launch", "--profile", "lt", "--set", "clientId=p-1", "--dry-run")
	if !strings.Contains(r.out, `"clientId":"p-1"`) || !strings.Contains(r.out, `"locale":"lt"`) || !strings.Contains(r.out, `"documents":["PASSPORT"]`) {
		t.Fatalf("dry run:\n%s", r.out)
	}
	bad := cli(t, nil, "launch", "--profile", "lt", "--set", "clientId=p-1", "--set", "locale=en", "--dry-run")
	if bad.code != exitInvalid || !strings.Contains(bad.err, "locale") || !strings.Contains(bad.err, "not asked by profile lt") {
		t.Fatalf("a fixed value overridden: exit %d\n%s", bad.code, bad.err)
	}
	none := cli(t, nil, "launch", "--profile", "nope", "--set", "clientId=p-1")
	if none.code != exitInvalid || !strings.Contains(none.err, `no profile named "nope" (profiles: lt)`) {
		t.Fatalf("unknown profile: exit %d\n%s", none.code, none.err)
	}
	out := run0(t, "launch", "--profile", "lt", "--set", "clientId=p-2", "--json")
	if m := oneJSON(t, out.out); m["provider"] != "idenfy" || m["url"] == nil {
		t.Fatalf("launch: %v", m)
	}
}

// Presets of earlier versions become profiles once, at startup.
func TestPresetsAreConvertedOnce(t *testing.T) {
	isolate(t)
	dir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kycdesk", "presets")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "idenfy.json"), []byte(`{"locale":"lt"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run0(t, "launch", "--profile", "idenfy", "--set", "clientId=c-1", "--dry-run")
	if !strings.Contains(r.err, "is now the desk profile") || !strings.Contains(r.out, `"locale":"lt"`) {
		t.Fatalf("not converted:\nstdout %s\nstderr %s", r.out, r.err)
	}
	again := run0(t, "launch", "--profile", "idenfy", "--set", "clientId=c-1", "--dry-run")
	if strings.Contains(again.err, "is now the desk profile") {
		t.Fatalf("converted twice: %s", again.err)
	}
}

// A profile file holding an earlier run's callback address is cleaned
// as it is read (one note on stderr), and the launch carries this run's
// own receiver, not the dead one.
func TestLaunchWithAProfileHoldingAnOldCallbackURL(t *testing.T) {
	isolate(t)
	writeProfile(t, "lt", lt+`callbackUrl = "http://127.0.0.1:41343/callbacks/idenfy"
`)
	r := run0(t, "launch", "--profile", "lt", "--set", "clientId=p-1", "--dry-run")
	if strings.Contains(r.out, "41343") {
		t.Fatalf("the old run's callback address was sent:\n%s", r.out)
	}
	if strings.Count(r.err, "note: profile lt: left out callbackUrl, which kycdesk works out at each launch (file rewritten)") != 1 {
		t.Fatalf("stderr:\n%s", r.err)
	}
	b, _ := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "kycdesk", "profiles", "lt.toml"))
	if strings.Contains(string(b), "callbackUrl") {
		t.Fatalf("file not cleaned:\n%s", b)
	}
	if again := run0(t, "launch", "--profile", "lt", "--set", "clientId=p-1", "--dry-run"); strings.Contains(again.err, "left out") {
		t.Fatalf("cleaned twice:\n%s", again.err)
	}
}
