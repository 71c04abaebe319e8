package config

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
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
	if errs := p.Check(catalog.All()); len(errs) != 0 {
		t.Fatalf("the contract's own example is refused: %v", errs)
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
	if errs := p.Check(catalog.All()); len(errs) != 0 {
		t.Fatal(errs)
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

func TestProfileCheck(t *testing.T) {
	reg := catalog.All()
	cases := []struct {
		name string
		p    Profile
		want []string // "field: message fragment"
	}{
		{"unknown provider", Profile{Provider: "onfido"}, []string{"provider: unknown provider \"onfido\" (known: idenfy, alibaba, dws)"}},
		{"unknown field with a suggestion", Profile{Provider: "idenfy", Asked: []string{"clientId"},
			Values: providers.Values{"documets": {"PASSPORT"}}}, []string{"values.documets: unknown idenfy parameter; did you mean documents?"}},
		{"unknown asked field", Profile{Provider: "idenfy", Asked: []string{"clientID", "clintId"}},
			[]string{"asked: clintId: unknown idenfy parameter; did you mean clientId?"}},
		{"nothing close", Profile{Provider: "alibaba", Asked: []string{"MerchantUserId"},
			Values: providers.Values{"DocType": {"01000000"}, "favouriteColour": {"red"}}}, []string{"values.favouriteColour: unknown alibaba parameter (see `kycdesk params alibaba`"}},
		{"asked and fixed", Profile{Provider: "idenfy", Asked: []string{"clientId", "locale"},
			Values: providers.Values{"locale": {"lt"}}}, []string{"asked: locale is both asked and fixed"}},
		{"personal data fixed", Profile{Provider: "idenfy", Asked: []string{"clientId"},
			Values: providers.Values{"firstName": {"Jonas"}, "dateOfBirth": {"1990-01-01"}}},
			[]string{"values.dateOfBirth: is personal data", "values.firstName: is personal data"}},
		{"phone fixed", Profile{Provider: "dws", Values: providers.Values{"identityValue": {"+44 7700 900123"}}},
			[]string{"values.identityValue: is personal data"}},
		{"callback token (it authenticates callbacks)", Profile{Provider: "alibaba", Asked: []string{"MerchantUserId", "DocType"},
			Values: providers.Values{"CallbackToken": {"tok"}}}, []string{"values.CallbackToken: is personal data"}},
		{"a credential", Profile{Provider: "idenfy", Asked: []string{"clientId"},
			Values: providers.Values{"IDENFY_API_SECRET": {"s3cret"}}}, []string{"values.IDENFY_API_SECRET: is a credential"}},
		{"a per-launch id", Profile{Provider: "dws", Asked: []string{"identityValue"},
			Values: providers.Values{"authenticationRequestId": {"R1"}}}, []string{"values.authenticationRequestId: is made fresh for every launch"}},
		{"a value the field refuses", Profile{Provider: "idenfy", Asked: []string{"clientId"},
			Values: providers.Values{"country": {"UK"}, "documents": {"PASSPORTS"}}},
			[]string{"values.country: \"UK\" is not an ISO 3166-1 code; use GB", "values.documents: \"PASSPORTS\" is not one of"}},
		{"a required field neither fixed nor asked", Profile{Provider: "alibaba", Asked: []string{"MerchantUserId"}},
			[]string{"asked: DocType is required"}},
		{"bad name and title", Profile{Name: "a/b", Provider: "dws", Asked: []string{"identityValue"}, Title: "two\nlines"},
			[]string{"name: profile name", "title: must be printable text on one line"}},
		{"accepted twice", Profile{Provider: "dws", Asked: []string{"identityValue"}, Accepted: []string{"phone-not-mobile", "phone-not-mobile"}},
			[]string{"accepted: \"phone-not-mobile\": list each warning code once"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			errs := c.p.Check(reg)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %d problems like %q", got, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d: %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
	// A profile never echoes a credential's value in its problems.
	for _, e := range (Profile{Provider: "idenfy", Asked: []string{"clientId"}, Values: providers.Values{"IDENFY_API_SECRET": {"s3cret"}}}).Check(reg) {
		if strings.Contains(e.Error(), "s3cret") {
			t.Fatalf("secret echoed: %s", e.Error())
		}
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

// realClient is a provider's client pointed at a closed loopback port:
// its real rules and Prepare, and nothing can be sent.
func realClient(t *testing.T, id string) providers.Client {
	t.Helper()
	d, _ := catalog.All().Get(id)
	c, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1", Credentials: d.SandboxCredentials})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestApplyAndAcceptedWarnings(t *testing.T) {
	d := alibaba.Descriptor()
	p := Profile{Name: "hk", Provider: "alibaba", Asked: []string{"MerchantUserId"},
		Values: providers.Values{"DocType": {"passport"}}} // a choice by name, normalised
	c := realClient(t, "alibaba")

	values, refusals, warnings := p.Prepare(c, d.Spec(), providers.Values{"MerchantUserId": {"cust-1"}})
	if len(refusals) != 0 {
		t.Fatalf("refusals %v", refusals)
	}
	if values.Get("DocType") != "01000000" || values.Get("MerchantUserId") != "cust-1" || !values.Has("MerchantBizId") || values.Get("ProductCode") != "eKYC" {
		t.Fatalf("values %v", values)
	}
	if len(warnings) != 1 || warnings[0].Code != alibaba.WarnReturnURLUnset {
		t.Fatalf("warnings %+v", warnings)
	}
	// Accepted once, never asked again for this profile.
	p.Accept(warnings...)
	p.Accept(warnings...)
	if strings.Join(p.Accepted, ",") != alibaba.WarnReturnURLUnset {
		t.Fatalf("accepted %v", p.Accepted)
	}
	if _, _, warnings := p.Prepare(c, d.Spec(), providers.Values{"MerchantUserId": {"cust-2"}}); len(warnings) != 0 {
		t.Fatalf("accepted warning asked again: %+v", warnings)
	}
	// Another profile has not accepted it.
	other := Profile{Name: "other", Provider: "alibaba", Asked: []string{"MerchantUserId"}, Values: providers.Values{"DocType": {"01000000"}}}
	if _, _, w := other.Prepare(c, d.Spec(), providers.Values{"MerchantUserId": {"cust-2"}}); len(w) != 1 {
		t.Fatalf("warnings %+v", w)
	}
	// A warning without a code cannot be accepted.
	if p.Accepts(providers.FieldError{Field: "x", Message: "m", Warning: true}) {
		t.Fatal("a codeless warning accepted")
	}

	// Fields the profile does not ask are refused, not silently overridden.
	_, refusals, _ = p.Prepare(c, d.Spec(), providers.Values{"MerchantUserId": {"cust-3"}, "DocType": {"00000001"}})
	if len(refusals) != 1 || refusals[0].Field != "DocType" || !strings.Contains(refusals[0].Message, "not asked by profile hk") {
		t.Fatalf("refusals %+v", refusals)
	}
	// The asked field left empty is the client's "required".
	_, refusals, _ = p.Prepare(c, d.Spec(), providers.Values{})
	if len(refusals) != 1 || refusals[0].Field != "MerchantUserId" {
		t.Fatalf("refusals %+v", refusals)
	}
}

func TestApplyNormalisesCountryCase(t *testing.T) {
	d, _ := catalog.All().Get("idenfy")
	p := Profile{Name: "lt", Provider: "idenfy", Asked: []string{"clientId"}, Values: providers.Values{"country": {"lt"}, "documents": {"passport"}}}
	if errs := p.Check(catalog.All()); len(errs) != 0 {
		t.Fatal(errs)
	}
	c := realClient(t, "idenfy")
	values, refusals, warnings := p.Prepare(c, d.Spec(), providers.Values{"clientId": {"100"}})
	if len(refusals)+len(warnings) != 0 || values.Get("country") != "LT" || values.Get("documents") != "PASSPORT" {
		t.Fatalf("%v %v %v", values, refusals, warnings)
	}
	req, err := c.Request(context.Background(), values)
	if err != nil {
		t.Fatal(err)
	}
	if body := string(providers.ReadBody(req)); !strings.Contains(body, `"country":"LT"`) || !strings.Contains(body, `"documents":["PASSPORT"]`) {
		t.Fatalf("sent %s", body)
	}
}

func TestNewProfileLeavesOutWhatItMustNotKeep(t *testing.T) {
	d, _ := catalog.All().Get("dws")
	values := realClient(t, "dws").Prepare(providers.Values{"identityValue": {"+44 7700 900123"}, "country": {"GB"}, "env.terminalType": {"APP"}})
	asked := SuggestAsked(d, values)
	if strings.Join(asked, ",") != "identityValue" {
		t.Fatalf("suggested %v", asked)
	}
	p, dropped := NewProfile("otp", d, values, asked)
	if strings.Join(dropped, ",") != "authenticationRequestId" {
		t.Fatalf("dropped %v", dropped)
	}
	if p.Values.Has("identityValue") || p.Values.Get("country") != "GB" || p.Values.Get("env.terminalType") != "APP" {
		t.Fatalf("values %v", p.Values)
	}
	if errs := p.Check(catalog.All()); len(errs) != 0 {
		t.Fatal(errs)
	}
	b, _ := p.Encode()
	if strings.Contains(string(b), "7700") {
		t.Fatalf("the phone number reached the file:\n%s", b)
	}
}

func TestConvertPresets(t *testing.T) {
	dir := t.TempDir()
	presets := filepath.Join(dir, "presets")
	writeProfile(t, presets, "idenfy.json", `{"clientId": "kept-by-mistake", "locale": "lt", "documents": ["PASSPORT", "ID_CARD"], "firstName": "Jonas"}`)
	writeProfile(t, presets, "alibaba.json", `{"ReturnUrl": "https://desk.example/done", "MerchantBizId": "fixed1"}`)
	// A profile named dws exists: the dws preset becomes dws-preset.
	writeProfile(t, filepath.Join(dir, "profiles"), "dws.toml", "provider = \"dws\"\nasked = [\"identityValue\"]\naccepted = []\n")
	writeProfile(t, presets, "dws.json", `{"country": "GB"}`)

	converted, problems := ConvertPresets(dir, catalog.All())
	if len(converted) != 3 {
		t.Fatalf("converted %+v, problems %v", converted, problems)
	}
	byName := map[string]Profile{}
	for _, p := range converted {
		byName[p.Name] = p
	}
	id := byName["idenfy"]
	if id.Title != "iDenfy preset" || strings.Join(id.Asked, ",") != "clientId" ||
		id.Values.Has("clientId") || id.Values.Has("firstName") || strings.Join(id.Values.List("documents"), ",") != "PASSPORT,ID_CARD" {
		t.Fatalf("idenfy profile %+v", id)
	}
	ali := byName["alibaba"]
	if strings.Join(ali.Asked, ",") != "MerchantUserId,DocType" || ali.Values.Has("MerchantBizId") || ali.Values.Get("ReturnUrl") == "" {
		t.Fatalf("alibaba profile %+v", ali)
	}
	if p := byName["dws-preset"]; strings.Join(p.Asked, ",") != "identityValue" || p.Values.Get("country") != "GB" {
		t.Fatalf("dws profile %+v", p)
	}
	var msgs []string
	for _, e := range problems {
		msgs = append(msgs, e.Error())
	}
	joined := strings.Join(msgs, "\n")
	for _, want := range []string{"idenfy.json: clientId is asked per customer now", "idenfy.json: firstName left out", "alibaba.json: MerchantBizId left out"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "Jonas") || strings.Contains(joined, "kept-by-mistake") {
		t.Errorf("a value reached the messages:\n%s", joined)
	}
	// Read once: the presets are renamed, a second run converts nothing,
	// and the files are profiles that list and check.
	for _, id := range []string{"idenfy", "alibaba", "dws"} {
		if _, err := os.Stat(filepath.Join(presets, id+".json"+ConvertedExt)); err != nil {
			t.Errorf("%s preset not renamed: %v", id, err)
		}
	}
	if again, problems := ConvertPresets(dir, catalog.All()); len(again) != 0 || len(problems) != 0 {
		t.Fatalf("second run: %+v %v", again, problems)
	}
	ps, problems := ListProfiles(filepath.Join(dir, "profiles"))
	if len(ps) != 4 || len(problems) != 0 {
		t.Fatalf("listed %+v %v", ps, problems)
	}
	for _, p := range ps {
		if errs := p.Check(catalog.All()); len(errs) != 0 {
			t.Errorf("%s: %v", p.Name, errs)
		}
		b, _ := os.ReadFile(p.Source)
		if strings.Contains(string(b), "Jonas") || strings.Contains(string(b), "kept-by-mistake") {
			t.Errorf("%s keeps personal data:\n%s", p.Source, b)
		}
	}
	// `--from FILE.json` still reads the converted file's format.
	if v, err := readPreset(filepath.Join(presets, "idenfy.json"+ConvertedExt)); err != nil || v.Get("locale") != "lt" {
		t.Fatalf("%v %v", v, err)
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
