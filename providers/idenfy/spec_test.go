package idenfy

import (
	"sort"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

func testClient(t testing.TB, base string) providers.Client {
	t.Helper()
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: base,
		Credentials: map[string]string{"apiKey": SandboxAPIKey, "apiSecret": SandboxAPISecret}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// refusalsFor returns the refusals (not warnings) naming field.
func refusalsFor(errs []providers.FieldError, field string) []providers.FieldError {
	var out []providers.FieldError
	for _, e := range errs {
		if e.Field == field && !e.Warning {
			out = append(out, e)
		}
	}
	return out
}

func TestSpecShape(t *testing.T) {
	s := Spec()
	want := []string{"clientId", "firstName", "lastName", "successUrl", "errorUrl", "unverifiedUrl", "locale",
		"showInstructions", "expiryTime", "sessionLength", "country", "documents", "dateOfBirth", "dateOfExpiry",
		"dateOfIssue", "nationality", "personalNumber", "documentNumber", "sex", "generateDigitString", "address",
		"tokenType", "externalRef", "utilityBill", "additionalSteps", "additionalData", "callbackUrl",
		"questionnaire", "riskAssessmentProfile", "ageLimit", "ageMax", "checkLiveness", "reviewSuccessful",
		"reviewFailed", "driverLicenseBack", "autoAmlMonitoring", "fraudServices", "checkIpProxy",
		"checkFaceBlacklist", "checkDocFaceBlacklist", "checkDuplicateFaces", "checkDuplicateDocFaces",
		"nfcRequired", "levenshteinTextMatchRatio", "levenshteinMrzMatchRatio", "detectionTypes"}
	sort.Strings(want)
	if got := s.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("spec names:\n got %v\nwant %v", got, want)
	}
	essential, personal := map[string]bool{}, map[string]bool{}
	for _, p := range s {
		if p.Doc == "" || p.Label == "" {
			t.Errorf("%s: missing Doc or Label", p.Name)
		}
		if p.Essential {
			essential[p.Name] = true
		}
		if p.Personal {
			personal[p.Name] = true
		}
		if (p.Kind == providers.KindEnum || p.Kind == providers.KindMultiEnum) && len(p.Options) == 0 {
			t.Errorf("%s: enum without options", p.Name)
		}
	}
	for _, n := range []string{"clientId", "firstName", "lastName", "locale", "country", "documents", "tokenType", "expiryTime"} {
		if !essential[n] {
			t.Errorf("%s should be Essential", n)
		}
	}
	if len(essential) != 8 {
		t.Errorf("essential fields: %v", essential)
	}
	for _, n := range []string{"firstName", "lastName", "dateOfBirth", "dateOfExpiry", "dateOfIssue", "personalNumber",
		"documentNumber", "address", "nationality", "sex", "additionalData"} {
		if !personal[n] {
			t.Errorf("%s should be Personal", n)
		}
	}
	if personal["clientId"] {
		t.Error("clientId is the customer id shown in the journal, not personal data")
	}
	for _, n := range []string{"sessionLength", "tokenType", "expiryTime"} {
		p, _ := s.Lookup(n)
		if p.Unconfirmed == "" {
			t.Errorf("%s: the seed disagreement must be noted in Unconfirmed", n)
		}
	}
	if p, _ := s.Lookup("clientId"); !p.Required || p.MaxLen != 100 || !p.ASCII {
		t.Errorf("clientId: %+v", p)
	}
	if p, _ := s.Lookup("locale"); len(p.Options) != 24 || p.Default != "en" || p.OptionLabel("lt") != "Lithuanian" {
		t.Errorf("locale: %d options, default %q", len(p.Options), p.Default)
	}
	p, _ := s.Lookup("documents")
	if len(p.Options) != 17 || p.OptionLabel("PASSPORT") != "Passport" || p.OptionLabel("DRIVER_LICENSE") != "Driver license" {
		t.Errorf("documents: %d options", len(p.Options))
	}
	p, _ = s.Lookup("tokenType")
	if len(p.Options) != 5 || !strings.Contains(p.OptionLabel("VIDEO_CALL"), "older docs") ||
		strings.Contains(p.OptionLabel("DOCUMENT"), "older") {
		t.Errorf("tokenType options: %+v", p.Options)
	}
	if p.Required {
		t.Error("tokenType is optional (only OpenAPI marks it required)")
	}
}

func TestSpecFieldRules(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	steps := `{"ALL":{"ALL":{"UTILITY_BILL":{"type":"UPLOAD"}}}}`
	cases := []struct {
		field   string
		base    providers.Values
		valid   [][]string
		invalid [][]string
	}{
		{field: "clientId", valid: [][]string{{"100000"}, {long(100)}, {"user-1@example"}},
			invalid: [][]string{{""}, {long(101)}, {"clïent"}}},
		{field: "firstName", valid: [][]string{{"John Tom"}, {"Jūratė"}, {"李"}, {long(100)}, {"O'Brien"}},
			invalid: [][]string{{"John2"}, {"J@ne"}, {"a<b"}, {long(101)}, {"Jo_hn"}, {"Jo/hn"}, {`Jo"hn`}}},
		{field: "lastName", valid: [][]string{{"Smith"}, {"Smith-Jones"}},
			invalid: [][]string{{"Smith3"}, {"Sm;th"}, {"Sm?th"}}},
		{field: "successUrl", valid: [][]string{{"https://www.my-company.com/idenfy/success"}, {"http://a.io"}},
			invalid: [][]string{{"ftp://x.com/a"}, {"not a url"}, {"https://x.com/" + long(2040)}}},
		{field: "errorUrl", valid: [][]string{{"https://www.my-company.com/idenfy/fail"}},
			invalid: [][]string{{"/relative"}}},
		{field: "unverifiedUrl", valid: [][]string{{"https://www.my-company.com/idenfy/unverified"}},
			invalid: [][]string{{"mailto:a@b.c"}}},
		{field: "callbackUrl", valid: [][]string{{"https://mywebsite.com/idenfy/webhookendpoint"}},
			invalid: [][]string{{"http://mywebsite.com/idenfy/webhookendpoint"}, {"hook"}}},
		{field: "locale", valid: [][]string{{"en"}, {"lt"}, {"id"}, {"EN"}, {"hi"}, {"ko"}, {"pt-BR"}, {"zh_Hant"}, {"xx"}},
			invalid: [][]string{{"english"}, {"e"}, {"pt-BRAZIL"}, {"pt-"}, {"p1"}, {"en GB"}}},
		{field: "showInstructions", valid: [][]string{{"true"}, {"false"}}, invalid: [][]string{{"yes"}, {"1"}}},
		{field: "expiryTime", valid: [][]string{{"0"}, {"1"}, {"600"}, {"86400"}, {"2592000"}},
			invalid: [][]string{{"2592001"}, {"-5"}, {"1.5"}, {"a day"}}},
		{field: "sessionLength", valid: [][]string{{"60"}, {"600"}, {"1800"}, {"3600"}},
			invalid: [][]string{{"59"}, {"3601"}, {"30m"}}},
		{field: "country", valid: [][]string{{"LT"}, {"lt"}, {"US"}, {"LTU"}, {"Lithuania"}, {"United Kingdom"}},
			invalid: [][]string{{"XX"}, {"Atlantis"}, {"UK"}, {"uk"}}},
		{field: "documents", valid: [][]string{{"PASSPORT"}, {"ID_CARD", "PASSPORT", "DRIVER_LICENSE"}, {"passport"},
			{"ID_CARD,PASSPORT"}, {"DIPLOMATIC_ID"}},
			invalid: [][]string{{"PASSPORTS"}, {"PASSPORT", "PASSPORT"}, {"INTERNATIONAL_PASSPORT"}}},
		{field: "dateOfBirth", valid: [][]string{{"1990-12-20"}, {"2000-02-29"}},
			invalid: [][]string{{"1990-13-01"}, {"20-12-1990"}, {"2999-01-01"}, {"1990-02-30"}}},
		{field: "dateOfExpiry", valid: [][]string{{"2030-12-20"}}, invalid: [][]string{{"2030-12-32"}, {"2030-1-2"}}},
		{field: "dateOfIssue", valid: [][]string{{"2020-12-20"}}, invalid: [][]string{{"2020/12/20"}, {"2999-01-01"}}},
		{field: "nationality", valid: [][]string{{"LT"}, {"lt"}, {"ALL"}, {"all"}},
			invalid: [][]string{{"LTU"}, {"XX"}, {"ALLX"}}},
		{field: "personalNumber", valid: [][]string{{"123456789"}, {long(50)}},
			invalid: [][]string{{long(51)}, {"12345ū"}}},
		{field: "documentNumber", valid: [][]string{{"123456"}, {"AB-12/3"}},
			invalid: [][]string{{long(51)}, {"№123"}}},
		{field: "sex", valid: [][]string{{"M"}, {"F"}, {"m"}, {"Male"}}, invalid: [][]string{{"X"}, {"unknown"}}},
		{field: "generateDigitString", valid: [][]string{{"true"}, {"false"}}, invalid: [][]string{{"maybe"}}},
		{field: "address", valid: [][]string{{"Address"}, {long(255)}}, invalid: [][]string{{long(256)}}},
		{field: "tokenType", valid: [][]string{{"IDENTIFICATION"}, {"DOCUMENT"}, {"VIDEO_CALL"}, {"VIDEO_CALL_PHOTOS"},
			{"VIDEO_CALL_IDENTIFICATION"}, {"document"}}, invalid: [][]string{{"FACE_ONLY"}, {"video call"}}},
		{field: "externalRef", valid: [][]string{{"reference"}, {long(40)}}, invalid: [][]string{{long(41)}, {"réf"}}},
		{field: "utilityBill", valid: [][]string{{"true"}, {"false"}}, invalid: [][]string{{"on"}}},
		{field: "additionalSteps", valid: [][]string{{steps}, {"{}"}},
			invalid: [][]string{{"[1,2]"}, {"{bad json"}, {`"str"`}, {"null"}}},
		{field: "additionalData", base: providers.Values{"additionalSteps": {steps}},
			valid:   [][]string{{`{"UTILITY_BILL":{"ssn":"123"}}`}},
			invalid: [][]string{{"[]"}, {"{"}}},
		{field: "questionnaire", valid: [][]string{{"c8QgVx5xzspjVnQ4nJ7MCf"}}, invalid: [][]string{{"a\x01b"}}},
		{field: "riskAssessmentProfile", valid: [][]string{{"e8cadb52-d429-4dc2-b788-99dfbbe8a4ab"}},
			invalid: [][]string{{"profile-1"}, {"e8cadb52d4294dc2b78899dfbbe8a4ab"}}},
		{field: "ageLimit", valid: [][]string{{"0"}, {"18"}, {"150"}}, invalid: [][]string{{"-1"}, {"151"}, {"18.5"}}},
		{field: "ageMax", valid: [][]string{{"0"}, {"99"}}, invalid: [][]string{{"-1"}, {"200"}}},
		{field: "fraudServices", valid: [][]string{{"AML_NAMES_CHECK", "LID", "AML_NEWS"}, {"lid"}},
			invalid: [][]string{{"PEP"}}},
		{field: "levenshteinTextMatchRatio", valid: [][]string{{"0"}, {"0.8"}, {"1"}},
			invalid: [][]string{{"1.1"}, {"-0.1"}, {"high"}, {"NaN"}, {"Inf"}}},
		{field: "levenshteinMrzMatchRatio", valid: [][]string{{"0.7"}}, invalid: [][]string{{"2"}}},
		{field: "detectionTypes", valid: [][]string{{"FACE", "EYES"}, {"eyes"}}, invalid: [][]string{{"NOSE"}}},
	}
	for _, n := range []string{"checkLiveness", "reviewSuccessful", "reviewFailed", "driverLicenseBack",
		"autoAmlMonitoring", "checkIpProxy", "checkFaceBlacklist", "checkDocFaceBlacklist", "checkDuplicateFaces",
		"checkDuplicateDocFaces", "nfcRequired"} {
		cases = append(cases, struct {
			field   string
			base    providers.Values
			valid   [][]string
			invalid [][]string
		}{field: n, valid: [][]string{{"true"}, {"false"}}, invalid: [][]string{{"yes"}}})
	}
	c := testClient(t, "http://127.0.0.1:1")
	for _, tc := range cases {
		build := func(vals []string) providers.Values {
			v := providers.Values{"clientId": {"c-1"}}
			for k, x := range tc.base {
				v[k] = x
			}
			v[tc.field] = vals
			return v
		}
		for _, vals := range tc.valid {
			if errs := refusalsFor(c.Validate(build(vals)), tc.field); len(errs) > 0 {
				t.Errorf("%s=%q: want valid, got %v", tc.field, vals, errs)
			}
		}
		for _, vals := range tc.invalid {
			errs := refusalsFor(c.Validate(build(vals)), tc.field)
			if len(errs) == 0 {
				t.Errorf("%s=%q: want refused, got no problem", tc.field, vals)
				continue
			}
			if e := errs[0].Error(); !strings.HasPrefix(e, tc.field+": ") {
				t.Errorf("%s: message does not name the field: %q", tc.field, e)
			}
		}
	}
}

func TestValidateUnknownAndAliases(t *testing.T) {
	c := testClient(t, "http://127.0.0.1:1")
	errs := c.Validate(providers.Values{"clientId": {"a"}, "colour": {"red"}})
	if len(refusalsFor(errs, "colour")) != 1 {
		t.Errorf("unknown parameter not named: %v", errs)
	}
	if errs := c.Validate(providers.Values{"clientid": {"a"}, "DOCUMENTS": {"passport"}}); len(errs) != 0 {
		t.Errorf("case-insensitive names and values: %v", errs)
	}
	// The legacy name personScanRef stands for clientId.
	if errs := c.Validate(providers.Values{"personScanRef": {"legacy-1"}}); len(errs) != 0 {
		t.Errorf("personScanRef: %v", errs)
	}
	if errs := c.Validate(providers.Values{}); len(refusalsFor(errs, "clientId")) != 1 {
		t.Errorf("clientId required: %v", errs)
	}
	p := c.Prepare(providers.Values{"Documents": {"id_card, passport"}, "LOCALE": {"LT"}, "clientId": {" x "}})
	if got := strings.Join(p["documents"], "|"); got != "ID_CARD|PASSPORT" {
		t.Errorf("Prepare documents = %q", got)
	}
	if p.Get("locale") != "lt" || p.Get("clientId") != "x" {
		t.Errorf("Prepare = %v", p)
	}
}

func TestCrossFieldRules(t *testing.T) {
	c := testClient(t, "http://127.0.0.1:1")
	steps := `{"ALL":{"ALL":{"UTILITY_BILL":{"type":"UPLOAD"}}}}`
	cases := []struct {
		name    string
		v       providers.Values
		field   string
		warning bool
		want    string
	}{
		{"utilityBill with additionalSteps", providers.Values{"utilityBill": {"true"}, "additionalSteps": {steps}},
			"utilityBill", false, "additionalSteps"},
		{"additionalData alone", providers.Values{"additionalData": {`{"a":1}`}}, "additionalData", false, "additionalSteps"},
		{"ageLimit above ageMax", providers.Values{"ageLimit": {"30"}, "ageMax": {"20"}}, "ageLimit", false, "ageMax"},
		{"issued after expiry", providers.Values{"dateOfIssue": {"2021-01-02"}, "dateOfExpiry": {"2021-01-01"}},
			"dateOfIssue", false, "dateOfExpiry"},
		{"digit string", providers.Values{"generateDigitString": {"true"}}, "generateDigitString", true, "contract"},
		{"digit string with expiry", providers.Values{"generateDigitString": {"true"}, "expiryTime": {"600"}},
			"generateDigitString", true, "expiryTime (600 s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.v["clientId"] = []string{"c-1"}
			var found *providers.FieldError
			for _, e := range c.Validate(tc.v) {
				if e.Field == tc.field {
					e := e
					found = &e
				}
			}
			if found == nil {
				t.Fatalf("no problem on %s", tc.field)
			}
			if found.Warning != tc.warning || !strings.Contains(found.Message, tc.want) {
				t.Errorf("got %+v", *found)
			}
		})
	}
	ok := []providers.Values{
		{"utilityBill": {"false"}, "additionalSteps": {steps}},
		{"utilityBill": {"true"}},
		{"additionalSteps": {steps}, "additionalData": {`{"UTILITY_BILL":{"ssn":"1"}}`}},
		{"ageLimit": {"18"}, "ageMax": {"18"}},
		{"dateOfIssue": {"2021-01-01"}, "dateOfExpiry": {"2099-01-01"}},
	}
	for _, v := range ok {
		v["clientId"] = []string{"c-1"}
		if errs := c.Validate(v); len(errs) != 0 {
			t.Errorf("%v: unexpected %v", v, errs)
		}
	}
}
