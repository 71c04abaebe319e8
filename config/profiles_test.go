package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// contractTOML is the file format exactly as issue 12 gives it: a
// contract that scripts and tests rely on.
const contractTOML = `provider = "idenfy"
title = "Passport, Lithuanian"   # optional; shown on home
asked = ["clientId"]
accepted = []
[values]
locale = "lt"
country = "LT"
documents = ["PASSPORT"]
`

func writeProfile(t *testing.T, dir, name, body string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProfileFileFormatRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeProfile(t, dir, "passport-lt.toml", contractTOML)
	p, err := LoadProfile(dir, "passport-lt")
	if err != nil {
		t.Fatal(err)
	}
	want := Profile{Name: "passport-lt", Provider: "idenfy", Title: "Passport, Lithuanian",
		Asked: []string{"clientId"}, Accepted: []string{},
		Values: providers.Values{"locale": {"lt"}, "country": {"LT"}, "documents": {"PASSPORT"}}}
	if p.Name != want.Name || p.Provider != want.Provider || p.Title != want.Title ||
		!reflect.DeepEqual(p.Asked, want.Asked) || len(p.Accepted) != 0 || !reflect.DeepEqual(p.Values, want.Values) {
		t.Fatalf("decoded %+v", p)
	}

	// Saved and read back: the same profile, the same keys, a list kept a
	// list (documents = ["PASSPORT"]), the file private.
	out := t.TempDir()
	path, err := SaveProfile(filepath.Join(out, "profiles"), p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, line := range []string{`provider = "idenfy"`, `title = "Passport, Lithuanian"`, `asked = ["clientId"]`,
		`accepted = []`, `[values]`, `locale = "lt"`, `country = "LT"`, `documents = ["PASSPORT"]`} {
		if !strings.Contains(string(b), line+"\n") {
			t.Errorf("saved file lacks %q:\n%s", line, b)
		}
	}
	if strings.Index(string(b), "[values]") < strings.Index(string(b), "accepted") {
		t.Errorf("[values] must come after the plain keys:\n%s", b)
	}
	again, err := LoadProfile(filepath.Join(out, "profiles"), "passport-lt")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Values, p.Values) || !reflect.DeepEqual(again.Asked, p.Asked) || again.Title != p.Title {
		t.Fatalf("round trip: %+v, want %+v", again, p)
	}
	st, _ := os.Stat(path)
	dst, _ := os.Stat(filepath.Dir(path))
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
		t.Fatalf("modes: file %v dir %v", st.Mode().Perm(), dst.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(out, "profiles", ".*tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestProfileDeskLabel(t *testing.T) {
	dir := t.TempDir()
	writeProfile(t, dir, "hk.toml", `provider = "alibaba"
title = "HK desk"
label = "Ticket number"
asked = ["MerchantUserId"]
accepted = ["return-url-unset"]
[values]
DocType = "00000008"
`)
	p, err := LoadProfile(dir, "hk")
	if err != nil || p.Label != "Ticket number" {
		t.Fatalf("%+v %v", p, err)
	}
	b, _ := p.Encode()
	if !strings.Contains(string(b), `label = "Ticket number"`) {
		t.Fatalf("label not saved:\n%s", b)
	}
	if CheckLabelValue("T-1234") != nil || CheckLabelValue("a\x1b[2Jb") == nil || CheckLabelValue(strings.Repeat("x", 65)) == nil {
		t.Fatal("label value rules")
	}
}

func TestListProfilesSortedAndBrokenFilesReported(t *testing.T) {
	dir := t.TempDir()
	writeProfile(t, dir, "b-dws.toml", `provider = "dws"
asked = ["identityValue"]
accepted = []
`)
	writeProfile(t, dir, "a-idenfy.toml", contractTOML)
	broken := writeProfile(t, dir, "c-broken.toml", "provider = \"idenfy\"\nasked = \"clientId\"\n")
	notToml := writeProfile(t, dir, "d-syntax.toml", "provider = \n")
	writeProfile(t, dir, "readme.txt", "not a profile")
	ps, problems := ListProfiles(dir)
	if len(ps) != 2 || ps[0].Name != "a-idenfy" || ps[1].Name != "b-dws" {
		t.Fatalf("profiles %+v", ps)
	}
	if len(problems) != 2 {
		t.Fatalf("problems %v", problems)
	}
	if msg := problems[0].Error(); !strings.HasPrefix(msg, broken+": ") || !strings.Contains(msg, `asked must be a list, e.g. asked = ["clientId"]`) {
		t.Errorf("broken file: %s", msg)
	}
	if msg := problems[1].Error(); !strings.HasPrefix(msg, notToml+": ") {
		t.Errorf("syntax error: %s", msg)
	}
	if ps, problems := ListProfiles(filepath.Join(dir, "none")); ps != nil || problems != nil {
		t.Fatal("a missing directory holds no profiles")
	}
}

func TestProfileNames(t *testing.T) {
	for _, ok := range []string{"desk1", "passport-lt", "HK_2018", "a"} {
		if err := CheckProfileName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "a.toml", "a b", "-x", strings.Repeat("a", 65), "é"} {
		if err := CheckProfileName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := SaveProfile(t.TempDir(), Profile{Name: "../escape", Provider: "idenfy"}); err == nil {
		t.Fatal("saved a profile outside its directory")
	}
	if _, err := LoadProfile(t.TempDir(), "../config"); err == nil {
		t.Fatal("loaded a file outside the directory")
	}
}

func TestProfilesInConfigFile(t *testing.T) {
	f := mustLoad(t, `mode = "sandbox"
[profiles.passport-lt]
provider = "idenfy"
title = "Passport, Lithuanian"
asked = ["clientId"]
accepted = []
[profiles.passport-lt.values]
locale = "lt"
country = "LT"
documents = ["PASSPORT"]

[profiles.otp]
provider = "dws"
asked = ["identityValue", "country"]
accepted = ["phone-not-mobile"]
`, 0o600)
	if len(f.Profiles) != 2 || f.Profiles[0].Name != "otp" || f.Profiles[1].Name != "passport-lt" {
		t.Fatalf("profiles %+v", f.Profiles)
	}
	p := f.Profiles[1]
	if p.Provider != "idenfy" || strings.Join(p.Values.List("documents"), ",") != "PASSPORT" || !strings.HasSuffix(p.Source, "[profiles.passport-lt]") {
		t.Fatalf("%+v", p)
	}
	if _, err := load(t, "[profiles.x]\nprovider = \"idenfy\"\ncolour = \"red\"\n", 0o600); err == nil || !strings.Contains(err.Error(), `[profiles.x]: unknown key "colour"`) {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := load(t, "[profiles.x]\nprovider = \"idenfy\"\n[profiles.x.values]\nsessionLength = 1800\n", 0o600); err == nil ||
		!strings.Contains(err.Error(), `values.sessionLength must be a string or a list of strings (write 1800 as "1800")`) {
		t.Fatalf("number value: %v", err)
	}
}

func TestProfilesDir(t *testing.T) {
	if got := ProfilesDir(envOf(map[string]string{"XDG_CONFIG_HOME": "/x"})); got != "/x/kycdesk/profiles" {
		t.Fatal(got)
	}
	if got := ProfilesDir(envOf(map[string]string{"HOME": "/h"})); got != "/h/.config/kycdesk/profiles" {
		t.Fatal(got)
	}
	if got := ProfilesDir(envOf(nil)); got != "" {
		t.Fatal(got)
	}
}

// A pinned home key is kept by a round trip; anything but 1-9 is refused
// with the key named.
func TestProfileHomeKey(t *testing.T) {
	dir := t.TempDir()
	writeProfile(t, dir, "a.toml", "provider = \"dws\"\nkey = 2\nasked = [\"identityValue\"]\naccepted = []\n")
	p, err := LoadProfile(dir, "a")
	if err != nil || p.Key != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	b, _ := p.Encode()
	if !strings.Contains(string(b), "key = 2\n") {
		t.Fatalf("key not saved:\n%s", b)
	}
	p.Key = 0
	if b, _ := p.Encode(); strings.Contains(string(b), "key") {
		t.Fatalf("an unpinned profile writes a key:\n%s", b)
	}
	for _, bad := range []string{"key = 0", "key = 10", `key = "1"`} {
		writeProfile(t, dir, "b.toml", "provider = \"dws\"\n"+bad+"\n")
		if _, err := LoadProfile(dir, "b"); err == nil || !strings.Contains(err.Error(), "key must be a number key from 1 to 9") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// The cache reads a file once while it stays as it was, and again when it
// changes (a rewrite of the same size included); it lists what
// ListProfiles lists, broken files and all, and hands out copies.
func TestProfileCacheReadsChangedFilesOnly(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	age := func(path string, at time.Time) {
		t.Helper()
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	a := writeProfile(t, dir, "a-idenfy.toml", contractTOML)
	broken := writeProfile(t, dir, "c-broken.toml", "provider = \"idenfy\"\nasked = \"clientId\"\n")
	age(a, old)
	age(broken, old)
	var c ProfileCache
	want, wantProblems := ListProfiles(dir)
	for i := range 3 {
		ps, problems := c.List(dir)
		if !reflect.DeepEqual(ps, want) || !reflect.DeepEqual(problems, wantProblems) {
			t.Fatalf("list %d: %+v %v, want %+v %v", i, ps, problems, want, wantProblems)
		}
		ps[0].Values.Set("locale", "xx") // a copy: the next list is as read
		ps[0].Asked[0] = "changed"
	}
	if n := c.Reads(); n != 2 {
		t.Fatalf("%d reads of 2 unchanged files listed 3 times", n)
	}
	// An edit of the same size: its new stamp (still an hour old) is
	// enough.
	if err := os.WriteFile(a, []byte(strings.Replace(contractTOML, `locale = "lt"`, `locale = "lv"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	age(a, old.Add(time.Second))
	ps, _ := c.List(dir)
	if len(ps) != 1 || ps[0].Values.Get("locale") != "lv" || c.Reads() != 3 {
		t.Fatalf("after the edit: %+v, %d reads", ps, c.Reads())
	}
	// A file changed just now is read again on every list until it is
	// older than the file system's tick can hide.
	if err := os.WriteFile(a, []byte(strings.Replace(contractTOML, `locale = "lt"`, `locale = "ee"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if ps, _ := c.List(dir); len(ps) != 1 || ps[0].Values.Get("locale") != "ee" || c.Reads() != 4+i {
			t.Fatalf("a fresh file, list %d: %+v, %d reads", i, ps, c.Reads())
		}
	}
	// Gone and added files.
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	writeProfile(t, dir, "b-dws.toml", "provider = \"dws\"\nasked = [\"identityValue\"]\naccepted = []\n")
	ps, problems := c.List(dir)
	if len(ps) != 2 || ps[1].Name != "b-dws" || len(problems) != 0 {
		t.Fatalf("after remove and add: %+v %v", ps, problems)
	}
	if ps, problems := c.List(filepath.Join(dir, "none")); ps != nil || problems != nil {
		t.Fatal("a missing directory holds no profiles")
	}
}
