package desk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/catalog"
)

func writeFile(t *testing.T, dir, name, body string) string {
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
			Values: providers.Values{"CallbackToken": {"tok"}}}, []string{"values.CallbackToken: is worked out at each launch"}},
		{"a credential", Profile{Provider: "idenfy", Asked: []string{"clientId"},
			Values: providers.Values{"IDENFY_API_SECRET": {"s3cret"}}}, []string{"values.IDENFY_API_SECRET: is a credential"}},
		{"a per-launch id", Profile{Provider: "dws", Asked: []string{"identityValue"},
			Values: providers.Values{"authenticationRequestId": {"R1"}}}, []string{"values.authenticationRequestId: is worked out at each launch"}},
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
			errs := CheckProfile(c.p, reg)
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
	for _, e := range CheckProfile(Profile{Provider: "idenfy", Asked: []string{"clientId"}, Values: providers.Values{"IDENFY_API_SECRET": {"s3cret"}}}, reg) {
		if strings.Contains(e.Error(), "s3cret") {
			t.Fatalf("secret echoed: %s", e.Error())
		}
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

	values, refusals, warnings := PrepareProfile(p, c, d.Spec(), providers.Values{"MerchantUserId": {"cust-1"}})
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
	acceptCodes(&p, warnings...)
	acceptCodes(&p, warnings...)
	if strings.Join(p.Accepted, ",") != alibaba.WarnReturnURLUnset {
		t.Fatalf("accepted %v", p.Accepted)
	}
	if _, _, warnings := PrepareProfile(p, c, d.Spec(), providers.Values{"MerchantUserId": {"cust-2"}}); len(warnings) != 0 {
		t.Fatalf("accepted warning asked again: %+v", warnings)
	}
	// Another profile has not accepted it.
	other := Profile{Name: "other", Provider: "alibaba", Asked: []string{"MerchantUserId"}, Values: providers.Values{"DocType": {"01000000"}}}
	if _, _, w := PrepareProfile(other, c, d.Spec(), providers.Values{"MerchantUserId": {"cust-2"}}); len(w) != 1 {
		t.Fatalf("warnings %+v", w)
	}
	// A warning without a code cannot be accepted.
	if ProfileAccepts(p, providers.FieldError{Field: "x", Message: "m", Warning: true}) {
		t.Fatal("a codeless warning accepted")
	}

	// Fields the profile does not ask are refused, not silently overridden.
	_, refusals, _ = PrepareProfile(p, c, d.Spec(), providers.Values{"MerchantUserId": {"cust-3"}, "DocType": {"00000001"}})
	if len(refusals) != 1 || refusals[0].Field != "DocType" || !strings.Contains(refusals[0].Message, "not asked by profile hk") {
		t.Fatalf("refusals %+v", refusals)
	}
	// The asked field left empty is the client's "required".
	_, refusals, _ = PrepareProfile(p, c, d.Spec(), providers.Values{})
	if len(refusals) != 1 || refusals[0].Field != "MerchantUserId" {
		t.Fatalf("refusals %+v", refusals)
	}
}

func TestApplyNormalisesCountryCase(t *testing.T) {
	d, _ := catalog.All().Get("idenfy")
	p := Profile{Name: "lt", Provider: "idenfy", Asked: []string{"clientId"}, Values: providers.Values{"country": {"lt"}, "documents": {"passport"}}}
	if errs := CheckProfile(p, catalog.All()); len(errs) != 0 {
		t.Fatal(errs)
	}
	c := realClient(t, "idenfy")
	values, refusals, warnings := PrepareProfile(p, c, d.Spec(), providers.Values{"clientId": {"100"}})
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
	if errs := CheckProfile(p, catalog.All()); len(errs) != 0 {
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
	writeFile(t, presets, "idenfy.json", `{"clientId": "kept-by-mistake", "locale": "lt", "documents": ["PASSPORT", "ID_CARD"], "firstName": "Jonas"}`)
	writeFile(t, presets, "alibaba.json", `{"ReturnUrl": "https://desk.example/done", "MerchantBizId": "fixed1"}`)
	// A profile named dws exists: the dws preset becomes dws-preset.
	writeFile(t, filepath.Join(dir, "profiles"), "dws.toml", "provider = \"dws\"\nasked = [\"identityValue\"]\naccepted = []\n")
	writeFile(t, presets, "dws.json", `{"country": "GB"}`)

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
	ps, problems := config.ListProfiles(filepath.Join(dir, "profiles"))
	if len(ps) != 4 || len(problems) != 0 {
		t.Fatalf("listed %+v %v", ps, problems)
	}
	for _, p := range ps {
		if errs := CheckProfile(p, catalog.All()); len(errs) != 0 {
			t.Errorf("%s: %v", p.Name, errs)
		}
		b, _ := os.ReadFile(p.Source)
		if strings.Contains(string(b), "Jonas") || strings.Contains(string(b), "kept-by-mistake") {
			t.Errorf("%s keeps personal data:\n%s", p.Source, b)
		}
	}
	// `--from FILE.json` still reads the converted file's format.
	if v, err := config.ReadPreset(filepath.Join(presets, "idenfy.json"+ConvertedExt)); err != nil || v.Get("locale") != "lt" {
		t.Fatalf("%v %v", v, err)
	}
}

// receiverDesk is a sandbox desk whose clients put this run's callback
// receiver (at base, a loopback address) in their requests, as the
// console's loopback receiver does; its profiles live in dir.
func receiverDesk(t *testing.T, receiver, dir string) *Desk {
	t.Helper()
	base := closedURL(t)
	resolve := func(d providers.Descriptor, m providers.Mode, endpoint string) *Provider {
		r := config.Resolve(d, providers.ModeSandbox, base, nil, func(string) string { return "" })
		r.Config.Callback = &providers.CallbackTarget{BaseURL: receiver, Key: []byte("0123456789abcdef0123456789abcdef")}
		c, err := d.New(r.Config)
		if err != nil {
			t.Fatal(err)
		}
		return &Provider{Desc: d, Client: c, Endpoint: r.Config.BaseURL, CallbackURL: receiver}
	}
	j := tempStore(t)
	return New(Options{Registry: catalog.All(), Mode: providers.ModeSandbox, SandboxURL: base, Store: j,
		Resolve: resolve, Profiles: ProfileDir{Dir: dir}})
}

// A profile saved with review's `p` never keeps what this run filled in
// (the callback receiver's address and token, per-launch ids); launched
// after a restart, the next run's receiver is in the request.
func TestProfileRoundTripWorksOutLaunchValuesEachRun(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ provider, asked string }{{"idenfy", "clientId"}, {"alibaba", "MerchantUserId"}} {
		t.Run(c.provider, func(t *testing.T) {
			first := receiverDesk(t, "http://127.0.0.1:41343", dir)
			p, _ := first.Provider(c.provider)
			v := providers.Values{c.asked: {"cust-1"}}
			if c.provider == "alibaba" {
				v.Set("DocType", "01000000")
			}
			dr := first.Draft(p, v)
			if dr.Problem() != nil {
				t.Fatal(dr.Problem())
			}
			if !strings.Contains(string(providers.ReadBody(dr.Request))+dr.Request.URL.String(), "41343") {
				t.Fatalf("the first run's request lacks its receiver: %s", dr.Text())
			}
			path, dropped, err := first.SaveProfile(dr, ProfileSpec{Name: c.provider + "-desk", Asked: []string{c.asked}})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path)
			if strings.Contains(string(b), "41343") || strings.Contains(strings.ToLower(string(b)), "callback") {
				t.Fatalf("the profile keeps this run's callback values (dropped %v):\n%s", dropped, b)
			}

			second := receiverDesk(t, "http://127.0.0.1:50505", dir)
			prof, err := second.Profile(c.provider + "-desk")
			if err != nil {
				t.Fatal(err)
			}
			dr = second.ProfileDraft(prof, providers.Values{c.asked: {"cust-2"}}, "")
			if dr.Problem() != nil {
				t.Fatal(dr.Problem())
			}
			sent := string(providers.ReadBody(dr.Request)) + dr.Request.URL.String()
			if !strings.Contains(sent, "50505") || strings.Contains(sent, "41343") {
				t.Fatalf("the second run's request does not carry its own receiver:\n%s", dr.Text())
			}
		})
	}
}

// A profile file that holds values of an earlier run is cleaned as it is
// read: the values are gone, the file is rewritten, one note says so.
func TestProfileHoldingLaunchValuesIsCleanedOnLoad(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "lt.toml", `provider = "idenfy"
asked = ["clientId"]
accepted = []
[values]
callbackUrl = "http://127.0.0.1:41343/callbacks/idenfy"
locale = "lt"
`)
	d := receiverDesk(t, "http://127.0.0.1:50505", dir)
	list, notes := d.Profiles()
	if len(list) != 1 || list[0].Disabled != "" || list[0].Values.Has("callbackUrl") || list[0].Values.Get("locale") != "lt" {
		t.Fatalf("profiles %+v", list)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "profile lt: left out callbackUrl, which kycdesk works out at each launch (file rewritten)") {
		t.Fatalf("notes %q", notes)
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "callbackUrl") || !strings.Contains(string(b), `locale = "lt"`) {
		t.Fatalf("file not cleaned:\n%s", b)
	}
	if _, notes := d.Profiles(); len(notes) != 0 {
		t.Fatalf("cleaned twice: %q", notes)
	}
	// A profile from config.toml is not rewritten: the note says where to
	// delete the value.
	cfg := Profile{Name: "cfg", Provider: "alibaba", Source: "/etc/kycdesk/config.toml [profiles.cfg]",
		Asked: []string{"MerchantUserId", "DocType"}, Values: providers.Values{"CallbackUrl": {"https://old.example/cb"}}}
	d.o.Profiles = ProfileDir{Dir: dir, Config: []Profile{cfg}}
	list, notes = d.Profiles()
	if len(list) != 2 || list[1].Values.Has("CallbackUrl") || list[1].Disabled != "" ||
		len(notes) != 1 || !strings.Contains(notes[0], "delete it from /etc/kycdesk/config.toml [profiles.cfg]") {
		t.Fatalf("%+v %q", list, notes)
	}
}

func TestHomeKeysStayPut(t *testing.T) {
	profs := func(pins ...int) []DeskProfile {
		var out []DeskProfile
		for i, k := range pins {
			out = append(out, DeskProfile{Profile: Profile{Name: string(rune('a' + i)), Key: k}})
		}
		return out
	}
	cases := []struct {
		pins  []int
		want  []int
		notes int
	}{
		{nil, nil, 0},
		{[]int{0, 0}, []int{1, 2}, 0},
		{[]int{0, 1}, []int{2, 1}, 0}, // a pin keeps its key, the others fill around it
		{[]int{0, 0, 0, 0, 0, 0, 0}, []int{1, 2, 3, 4, 5, 6, 0}, 0}, // the seventh has no key; the explorer keeps 7-9
		{[]int{7, 3, 3}, []int{1, 3, 2}, 2},                         // an explorer's key and a second pin are refused
	}
	for _, c := range cases {
		got, notes := HomeKeys(profs(c.pins...), 3)
		if fmt.Sprint(got) != fmt.Sprint(append([]int{}, c.want...)) || len(notes) != c.notes {
			t.Errorf("pins %v: keys %v notes %q, want %v and %d notes", c.pins, got, notes, c.want, c.notes)
		}
	}
	for i, want := range []int{7, 8, 9} {
		if k := ProviderKey(i, 3); k != want {
			t.Errorf("provider %d: key %d, want %d", i, k, want)
		}
	}
	if errs := CheckProfile(Profile{Provider: "dws", Asked: []string{"identityValue"}, Key: 8}, catalog.All()); len(errs) != 1 || errs[0].Field != "key" {
		t.Fatalf("%v", errs)
	}
}

// A desk label finds its session again, typed whole or its start, and
// nothing else; lists show it instead of the customer, and a keyed hash
// of a customer is shortened.
func TestDeskLabelsAreSearchable(t *testing.T) {
	sb := startSandbox(t)
	dir := t.TempDir()
	writeFile(t, dir, "hk.toml", `provider = "alibaba"
label = "Ticket number"
asked = ["MerchantUserId"]
accepted = ["return-url-unset"]
[values]
DocType = "01000000"
`)
	d := newDesk(t, providers.ModeSandbox, sb.URL, tempStore(t), nil)
	d.o.Profiles = ProfileDir{Dir: dir}
	prof, err := d.Profile("hk")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for i, label := range []string{"T-043", "T-1000", "Q-7"} {
		dr := d.ProfileDraft(prof, providers.Values{"MerchantUserId": {fmt.Sprintf("cust-%d", i)}}, label)
		o, err := d.Launch(context.Background(), dr)
		if err != nil {
			t.Fatal(err)
		}
		ids[label] = o.ID
	}
	for q, want := range map[string][]string{"T-043": {"T-043"}, "t-043": {"T-043"}, "T-10": {"T-1000"}, "T-1000": {"T-1000"}, "T-": {"T-1000", "T-043"}, "Q-7": {"Q-7"}} {
		rows, _ := d.Sessions(q, 0)
		var got []string
		for _, r := range rows {
			got = append(got, r.Label)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("filter %q found %v, want %v", q, got, want)
		}
	}
	rows, _ := d.Sessions("T-043", 0)
	if len(rows) != 1 || rows[0].ID != ids["T-043"] || ShownCustomer(rows[0].Customer, rows[0].Label) != "#T-043" {
		t.Fatalf("%+v", rows)
	}
	hash := strings.Repeat("3fa9c2e1", 8)
	if got := ShownCustomer(hash, ""); got != "3fa9c2e1…" {
		t.Fatalf("hash shown as %q", got)
	}
	if got := ShownCustomer("desk-0042", ""); got != "desk-0042" {
		t.Fatalf("a typed id shown as %q", got)
	}
}

// In sandbox mode a refused connection says to start a sandbox or set
// KYCDESK_SANDBOX_URL, not to check base_url.
func TestSandboxConnectionRefusedNamesTheSandbox(t *testing.T) {
	url := closedURL(t)
	d := newDesk(t, providers.ModeSandbox, url, tempStore(t), nil)
	p, _ := d.Provider("idenfy")
	_, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"clientId": {"c1"}}))
	pe := providers.AsError(d.Explain(err))
	if !strings.Contains(pe.Action, "kycdesk sandbox") || !strings.Contains(pe.Action, "KYCDESK_SANDBOX_URL") ||
		!strings.Contains(pe.Action, url) || strings.Contains(pe.Action, "base_url") {
		t.Fatalf("%v: %s", err, pe.Action)
	}
	live := newDesk(t, providers.ModeLive, url, tempStore(t), nil)
	if lp, _ := live.Provider("idenfy"); lp != nil {
		_, err := live.Launch(context.Background(), live.Draft(lp, providers.Values{"clientId": {"c1"}}))
		if a := providers.AsError(live.Explain(err)).Action; strings.Contains(a, "kycdesk sandbox") {
			t.Fatalf("live mode told to start a sandbox: %s", a)
		}
	}
}

// The desk decides that a one-time code's authentication is over, and
// records it; a hosted link's end decides nothing.
func TestChallengeExpiredIsDecidedAndRecordedByTheDesk(t *testing.T) {
	sb := startSandbox(t)
	st := tempStore(t)
	d := newDesk(t, providers.ModeSandbox, sb.URL, st, nil)
	p, _ := d.Provider("dws")
	o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"identityValue": {"+447400123456"}}))
	if err != nil {
		t.Fatal(err)
	}
	f := d.Followed(p, o)
	exp := o.Launch.ExpiresAt
	if exp.IsZero() {
		t.Fatal("a DWS launch without a lifetime")
	}
	if s := f.ChallengeExpired(providers.StatePending, exp.Add(-time.Second)); s != nil {
		t.Fatalf("expired before its time: %+v", s)
	}
	if s := f.ChallengeExpired(providers.StateApproved, exp.Add(time.Second)); s != nil {
		t.Fatal("a final result reopened as expired")
	}
	s := f.ChallengeExpired(providers.StatePending, exp.Add(time.Second))
	if s == nil || s.State != providers.StateExpired {
		t.Fatalf("%+v", s)
	}
	if got := get(t, st, o.ID); got.State != providers.StateExpired {
		t.Fatalf("recorded %s", got.State)
	}
	ip, _ := d.Provider("idenfy")
	io, err := d.Launch(context.Background(), d.Draft(ip, providers.Values{"clientId": {"c-exp"}}))
	if err != nil {
		t.Fatal(err)
	}
	if s := d.Followed(ip, io).ChallengeExpired(providers.StatePending, io.Launch.ExpiresAt.Add(time.Hour)); s != nil {
		t.Fatal("a hosted link's end was taken for a result")
	}
}

// A session followed at a sandbox that is gone (an earlier run's
// in-process one) names that sandbox, not the desk's own.
func TestRefusedAtAnotherSandboxNamesIt(t *testing.T) {
	d := newDesk(t, providers.ModeSandbox, "http://127.0.0.1:35603", tempStore(t), nil)
	err := &providers.Error{Kind: providers.KindTransport, Message: "connection refused: 127.0.0.1:41771"}
	a := providers.AsError(d.Explain(err)).Action
	if !strings.Contains(a, "127.0.0.1:41771") || strings.Contains(a, "35603") {
		t.Fatalf("action: %s", a)
	}
}

// The desk's profiles are worked out again when a file changes, and each
// call hands out its own copies.
func TestProfilesFollowTheirFiles(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "lt.toml", "provider = \"idenfy\"\nasked = [\"clientId\"]\naccepted = []\n[values]\nlocale = \"lt\"\n")
	d := receiverDesk(t, "http://127.0.0.1:50505", dir)
	list, _ := d.Profiles()
	if len(list) != 1 || list[0].Values.Get("locale") != "lt" || list[0].Disabled != "" {
		t.Fatalf("profiles %+v", list)
	}
	list[0].Values.Set("locale", "xx")
	list[0].Accepted = append(list[0].Accepted, "X")
	again, _ := d.Profiles()
	if again[0].Values.Get("locale") != "lt" || len(again[0].Accepted) != 0 {
		t.Fatalf("a caller's change reached the next list: %+v", again)
	}
	if err := os.WriteFile(path, []byte("provider = \"idenfy\"\nasked = [\"clientId\"]\naccepted = []\nkey = 3\n[values]\nlocale = \"lv\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, _ = d.Profiles()
	if len(list) != 1 || list[0].Values.Get("locale") != "lv" || list[0].HomeKey != 3 {
		t.Fatalf("after the edit: %+v", list)
	}
	writeFile(t, dir, "bad.toml", "provider = \"nope\"\nasked = []\naccepted = []\n")
	list, _ = d.Profiles()
	if len(list) != 2 || list[0].Name != "bad" || !strings.Contains(list[0].Disabled, `unknown provider "nope"`) {
		t.Fatalf("after adding a file: %+v", list)
	}
}

// A warning confirmed on a profile's launch is not asked again for that
// profile: the profile lists its code, and the next launch's draft has
// no warning left (a warning without a code could not be kept, and the
// review promised otherwise).
func TestConfirmedWarningIsNotAskedAgain(t *testing.T) {
	dir := t.TempDir()
	d := receiverDesk(t, "http://127.0.0.1:41343", dir)
	p, _ := d.Provider("idenfy")
	dr := d.Draft(p, providers.Values{"clientId": {"c-1"}, "locale": {"zzz"}})
	if _, _, err := d.SaveProfile(dr, ProfileSpec{Name: "odd-locale", Asked: []string{"clientId"}}); err != nil {
		t.Fatal(err)
	}
	prof, err := d.Profile("odd-locale")
	if err != nil {
		t.Fatal(err)
	}
	dr = d.ProfileDraft(prof, providers.Values{"clientId": {"c-2"}}, "")
	if len(dr.Refusals) != 0 || len(dr.Warnings) != 1 || dr.Warnings[0].Field != "locale" {
		t.Fatalf("first launch: refusals %+v, warnings %+v", dr.Refusals, dr.Warnings)
	}
	if saved, err := d.AcceptWarnings(dr); !saved || err != nil {
		t.Fatalf("the confirmed warning was not kept: %v, %v", saved, err)
	}
	prof, err = d.Profile("odd-locale")
	if err != nil {
		t.Fatal(err)
	}
	dr = d.ProfileDraft(prof, providers.Values{"clientId": {"c-3"}}, "")
	if len(dr.Refusals) != 0 || len(dr.Warnings) != 0 {
		t.Fatalf("asked again after it was confirmed: %+v", dr.Warnings)
	}
}
