package alibaba

import (
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

// The seed's request parameters, in its order (ShowBlbumIcon is sent as
// ShowAlbumIcon, decisions.go D1).
var seedParams = []string{
	"ProductCode", "MerchantBizId", "MetaInfo", "MerchantUserId", "ReturnUrl", "DocType", "SceneCode",
	"IdSpoof", "Authorize", "LanguageConfig", "SecurityLevel", "StyleConfig", "IdThreshold", "Model",
	"DocVideo", "ShowAlbumIcon", "ShowOcrResult", "ShowGuidePage", "ProcedurePriority", "CallbackUrl",
	"CallbackToken", "AppQualityCheck", "EditOcrResult",
}

func TestSpecHasEverySeedParameter(t *testing.T) {
	s := Spec()
	if len(s) != len(seedParams)+1 {
		t.Fatalf("spec has %d params, want %d seed params + the local switch", len(s), len(seedParams))
	}
	for i, name := range seedParams {
		if s[i].Name != name {
			t.Errorf("spec[%d] = %s, want %s (seed order)", i, s[i].Name, name)
		}
		if s[i].Doc == "" || s[i].Label == "" {
			t.Errorf("%s: missing Doc or Label", name)
		}
		if s[i].Kind == providers.KindEnum {
			for _, o := range s[i].Options {
				if o.Label == "" {
					t.Errorf("%s: option %s has no label", name, o.Value)
				}
			}
		}
	}
	if s[len(s)-1].Name != LocalSendUserIDAsTyped {
		t.Fatalf("last param = %s", s[len(s)-1].Name)
	}
	essential := map[string]bool{}
	for _, p := range s {
		if p.Essential {
			essential[p.Name] = true
		}
	}
	for _, n := range []string{"ProductCode", "DocType", "MerchantUserId", "MetaInfo", "SecurityLevel", "ReturnUrl"} {
		if !essential[n] {
			t.Errorf("%s should be essential", n)
		}
		delete(essential, n)
	}
	if len(essential) != 0 {
		t.Errorf("unexpected essentials: %v", essential)
	}
	for _, p := range s {
		// MerchantUserId is personal data; CallbackToken authenticates
		// callbacks: neither may reach the journal.
		if p.Personal != (p.Name == "MerchantUserId" || p.Name == "CallbackToken") {
			t.Errorf("%s: Personal = %v", p.Name, p.Personal)
		}
	}
}

func TestSpecDefaultsAndDocNotes(t *testing.T) {
	s := Spec()
	want := map[string]string{
		"IdSpoof": "N", "Authorize": "F", "SecurityLevel": "02", "IdThreshold": "3", "Model": "LIVENESS",
		"DocVideo": "N", "ShowAlbumIcon": "1", "ShowOcrResult": "1", "ShowGuidePage": "1",
		"ProcedurePriority": "url", "AppQualityCheck": "Y", "EditOcrResult": "0", "ProductCode": "eKYC",
		"MetaInfo": MetaInfoMobileH5, LocalSendUserIDAsTyped: "false",
	}
	for name, def := range want {
		p, _ := s.Lookup(name)
		if p.Default != def {
			t.Errorf("%s default = %q, want %q", name, p.Default, def)
		}
		if p.Kind == providers.KindEnum && providers.CheckValue(p, def) != "" {
			t.Errorf("%s: default %q is not an option", name, def)
		}
	}
	notes := map[string][]string{
		"SecurityLevel":        {"01", "testing", "02", "production", "206"},
		"Model":                {"not supported on PCs"},
		"ShowGuidePage":        {"Not supported on PCs"},
		"ProcedurePriority":    {"Not supported on PCs", "keep"},
		"AppQualityCheck":      {"Web SDK"},
		"Authorize":            {"second-generation"},
		"CallbackUrl":          {"https", "reachable"},
		"MetaInfo":             {"getMetaInfo()", "mobile H5", "PC web"},
		"ShowAlbumIcon":        {"ShowBlbumIcon"},
		"DocType":              {"000000011", "000000012"},
		LocalSendUserIDAsTyped: {"never sent"},
	}
	for name, subs := range notes {
		p, _ := s.Lookup(name)
		for _, sub := range subs {
			if !strings.Contains(p.Doc, sub) {
				t.Errorf("%s Doc lacks %q", name, sub)
			}
		}
	}
	for _, name := range []string{"ShowAlbumIcon", "DocType", "MerchantUserId", "MetaInfo"} {
		p, _ := s.Lookup(name)
		// The note is shown to operators (params, field docs): it says
		// the choice, citing Alibaba's pages, never the project's files.
		if p.Unconfirmed == "" || strings.Contains(p.Unconfirmed, "decisions.go") || strings.Contains(p.Unconfirmed, "seed") {
			t.Errorf("%s: Unconfirmed should state the choice without internal references: %q", name, p.Unconfirmed)
		}
	}
	p, _ := s.Lookup("MetaInfo")
	labels := []string{}
	for _, o := range p.Options {
		labels = append(labels, o.Label)
		if providers.CheckValue(p, o.Value) != "" {
			t.Errorf("MetaInfo preset %q invalid: %s", o.Label, providers.CheckValue(p, o.Value))
		}
	}
	if strings.Join(labels, "|") != "mobile H5 (QR handed to a phone)|PC web" {
		t.Errorf("MetaInfo presets = %v", labels)
	}
	d, _ := s.Lookup("DocType")
	if len(d.Options) != 8 {
		t.Errorf("DocType has %d options, want the seed's 8", len(d.Options))
	}
}

// A valid and an invalid value for each constrained field.
func TestSpecTable(t *testing.T) {
	long := strings.Repeat("a", 33)
	cases := []struct {
		name, good, bad, badMsg string
	}{
		{"ProductCode", "eKYC", "KYC_GLOBAL", "not one of"},
		{"MerchantBizId", "e0c34a77f5ac40a5aa5e6ed20c35a1b2", long, "at most 32"},
		{"MerchantBizId", "abcABC123", "abc-123", "letters and digits"},
		{"MerchantBizId", "abc", "abc_1", "letters and digits"},
		{"MetaInfo", `{"deviceType":"h5"}`, `{"ua":"x"}`, "deviceType"},
		{"MetaInfo", MetaInfoPCWeb, `{"deviceType":""}`, "non-empty"},
		{"MetaInfo", "h5", `[1,2]`, "JSON object"},
		{"MetaInfo", "web", `{"deviceType":`, "valid JSON"},
		{"MerchantUserId", "customer-1", "", ""},
		{"ReturnUrl", "https://example.com/done", "example.com/done", "absolute URL"},
		{"ReturnUrl", "http://localhost:8080/x", "ftp://example.com", "absolute URL"},
		{"DocType", "01000000", "01560000", "not one of"},
		{"DocType", "000000011", "0000001", "not one of"},
		{"SceneCode", "ABC_12", "ABCDEFGHIJK", "at most 10"},
		{"SceneCode", "1234567890", "ab-c", "letters, digits"},
		{"IdSpoof", "Y", "yes", "not one of"},
		{"Authorize", "T", "Y", "not one of"},
		{"LanguageConfig", `{"supportedLanguage":["en"]}`, `["en"]`, "JSON object"},
		{"SecurityLevel", "01", "03", "not one of"},
		{"StyleConfig", `{"facePage":{}}`, `{bad}`, "valid JSON"},
		{"IdThreshold", "0", "4", "not one of"},
		{"Model", "PHOTINUS_LIVENESS", "LIVENES", "not one of"},
		{"DocVideo", "Y", "1", "not one of"},
		{"ShowAlbumIcon", "0", "2", "not one of"},
		{"ShowOcrResult", "1", "Y", "not one of"},
		{"ShowGuidePage", "0", "true", "not one of"},
		{"ProcedurePriority", "keep", "retry", "not one of"},
		{"CallbackUrl", "https://example.com/cb?x=1", "http://example.com/cb", "https"},
		{"CallbackToken", "NMjvQanQgplBSaEI0sL86WnQplB", "tökén", "ASCII"},
		{"AppQualityCheck", "N", "maybe", "not one of"},
		{"EditOcrResult", "1", "Y", "not one of"},
		{LocalSendUserIDAsTyped, "true", "yes", "true or false"},
	}
	s := Spec()
	for _, c := range cases {
		p, ok := s.Lookup(c.name)
		if !ok {
			t.Fatalf("no param %s", c.name)
		}
		if msg := providers.CheckValue(p, c.good); msg != "" {
			t.Errorf("%s=%q refused: %s", c.name, c.good, msg)
		}
		msg := providers.CheckValue(p, c.bad)
		if c.bad == "" {
			if msg != "required" {
				t.Errorf("%s empty: %q, want required", c.name, msg)
			}
			continue
		}
		if msg == "" || !strings.Contains(msg, c.badMsg) {
			t.Errorf("%s=%q: message %q, want it to contain %q", c.name, c.bad, msg, c.badMsg)
		}
	}
}

func validValues() providers.Values {
	return providers.Values{
		"DocType":        {"01000000"},
		"MerchantUserId": {"customer-42"},
		"ReturnUrl":      {"https://example.com/done"},
		"SecurityLevel":  {"01"},
	}
}

func sandboxClient(t testing.TB, base string) *Client {
	t.Helper()
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDocTypeAliases(t *testing.T) {
	c := sandboxClient(t, "http://127.0.0.1:1")
	for in, want := range map[string]string{"000000011": "00000011", "000000012": "00000012", "00000011": "00000011", " 00000006 ": "00000006"} {
		v := validValues()
		v.Set("DocType", in)
		pv := c.Prepare(v)
		if got := pv.Get("DocType"); got != want {
			t.Errorf("DocType %q → %q, want %q", in, got, want)
		}
		if errs, _ := providers.Problems(c.Validate(v)); len(errs) != 0 {
			t.Errorf("DocType %q: %v", in, errs)
		}
		req, err := c.Request(t.Context(), v)
		if err != nil {
			t.Fatal(err)
		}
		if got := req.URL.Query().Get("DocType"); got != want {
			t.Errorf("wire DocType for %q = %q, want %q", in, got, want)
		}
	}
	if DocTypeName("000000011") != "Macao identity card" || DocTypeName("00000012") != "Mainland Travel Permit for Taiwan Residents" {
		t.Error("DocTypeName")
	}
}

func TestShowAlbumIconSpellings(t *testing.T) {
	c := sandboxClient(t, "http://127.0.0.1:1")
	for _, name := range []string{"ShowBlbumIcon", "showblbumicon", "ShowAlbumIcon", "showAlbumIcon"} {
		v := validValues()
		v.Set(name, "0")
		if errs, _ := providers.Problems(c.Validate(v)); len(errs) != 0 {
			t.Errorf("%s: %v", name, errs)
		}
		req, err := c.Request(t.Context(), v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q := req.URL.Query()
		if q.Get("ShowAlbumIcon") != "0" || q.Has("ShowBlbumIcon") {
			t.Errorf("%s: query %v", name, req.URL.RawQuery)
		}
	}
	v := validValues()
	v.Set("ShowBlbumIcon", "1")
	v.Set("ShowAlbumIcon", "1")
	if errs, _ := providers.Problems(c.Validate(v)); len(errs) != 0 {
		t.Errorf("same value twice: %v", errs)
	}
	v.Set("ShowAlbumIcon", "0")
	errs, _ := providers.Problems(c.Validate(v))
	if len(errs) != 1 || errs[0].Field != "ShowAlbumIcon" || !strings.Contains(errs[0].Message, "ShowBlbumIcon") {
		t.Errorf("conflict: %v", errs)
	}
	v.Set("ShowAlbumIcon", "2")
	v.Set("ShowBlbumIcon")
	if errs, _ := providers.Problems(c.Validate(v)); len(errs) != 1 {
		t.Errorf("bad value: %v", errs)
	}
}

// testKey is a store's customer key in tests.
var testKey = []byte(strings.Repeat("k", 32))

func TestMerchantUserIDHashing(t *testing.T) {
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1", CustomerKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	const typed = "alice@example.com"
	// HMAC-SHA256(key "k"×32, "kycdesk customer id v1\n" + typed), computed apart (python3 hmac).
	const want = "6c0fd45e183f6c22b1d005c9d18b84837636aeffe9ddd433b634d78c1ac0aa01"
	// sha256("alice@example.com"): what an earlier release sent, reversible by trying e-mail addresses.
	const plain = "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"
	if got := HashUserID(testKey, typed); got != want {
		t.Fatalf("HashUserID = %s", got)
	}
	if HashUserID(testKey, "  "+typed+"\n") != want {
		t.Fatal("HashUserID should trim")
	}
	if HashUserID(nil, typed) != "" {
		t.Fatal("nothing is derived without a key")
	}
	// A client built without the store's key still never sends a plain hash.
	bare := sandboxClient(t, "http://127.0.0.1:1")
	if got := bare.wireUserID(providers.Values{"MerchantUserId": {typed}}); got == plain || got == "" || got == want {
		t.Fatalf("without a customer key the wire id is %q", got)
	}
	v := validValues()
	v.Set("MerchantUserId", typed)
	pv := c.Prepare(v)
	if pv.Get("MerchantUserId") != typed {
		t.Fatalf("Prepare must keep the typed value; got %q", pv.Get("MerchantUserId"))
	}
	for i := 0; i < 2; i++ { // every build sends the same hash
		req, err := c.Request(t.Context(), pv)
		if err != nil {
			t.Fatal(err)
		}
		if got := req.URL.Query().Get("MerchantUserId"); got != want {
			t.Fatalf("wire MerchantUserId = %q", got)
		}
		if strings.Contains(req.URL.String(), "alice") {
			t.Fatal("typed user id leaked into the URL")
		}
	}
	pv.Set(LocalSendUserIDAsTyped, "true")
	req, err := c.Request(t.Context(), pv)
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	if q.Get("MerchantUserId") != typed {
		t.Fatalf("as typed: %q", q.Get("MerchantUserId"))
	}
	if q.Has(LocalSendUserIDAsTyped) || strings.Contains(req.URL.RawQuery, "kycdesk") {
		t.Fatal("the local switch must never be sent")
	}
}

func TestPrepare(t *testing.T) {
	c := sandboxClient(t, "http://127.0.0.1:1")
	pv := c.Prepare(validValues())
	id := pv.Get("MerchantBizId")
	if len(id) != 32 || checkMerchantBizID(id) != nil {
		t.Fatalf("generated MerchantBizId %q", id)
	}
	if pv.Get("ProductCode") != "eKYC" || pv.Get("MetaInfo") != MetaInfoMobileH5 {
		t.Fatalf("prepared = %v", pv)
	}
	again := c.Prepare(pv)
	if again.Get("MerchantBizId") != id {
		t.Fatal("Prepare must keep a prepared MerchantBizId")
	}
	other := c.Prepare(validValues()).Get("MerchantBizId")
	if other == id {
		t.Fatal("two sessions got the same MerchantBizId")
	}
	v := validValues()
	v.Set("metainfo", "web")
	if got := c.Prepare(v).Get("MetaInfo"); got != MetaInfoPCWeb {
		t.Fatalf("MetaInfo preset alias: %q", got)
	}
	// Validate without Prepare: the generated id is not "required".
	if errs, _ := providers.Problems(c.Validate(pv)); len(errs) != 0 {
		t.Fatalf("prepared values invalid: %v", errs)
	}
}

func TestValidateCrossField(t *testing.T) {
	c := sandboxClient(t, "http://127.0.0.1:1")
	warned := func(v providers.Values, field string) bool {
		_, warns := providers.Problems(c.Validate(c.Prepare(v)))
		for _, w := range warns {
			if w.Field == field {
				return true
			}
		}
		return false
	}
	v := validValues()
	if _, w := providers.Problems(c.Validate(c.Prepare(v))); len(w) != 0 {
		t.Fatalf("valid values warn: %v", w)
	}
	v.Set("ReturnUrl")
	if !warned(v, "ReturnUrl") {
		t.Error("missing ReturnUrl should warn")
	}
	v = validValues()
	v.Set("Authorize", "T")
	if !warned(v, "Authorize") {
		t.Error("Authorize T with a passport should warn")
	}
	v.Set("DocType", "00000001")
	if warned(v, "Authorize") {
		t.Error("Authorize T with the mainland ID should not warn")
	}
	v = validValues()
	v.Set("MetaInfo", "web")
	v.Set("Model", "PHOTINUS_LIVENESS")
	v.Set("ShowGuidePage", "0")
	v.Set("ProcedurePriority", "keep")
	for _, f := range []string{"Model", "ShowGuidePage", "ProcedurePriority"} {
		if !warned(v, f) {
			t.Errorf("PC MetaInfo with %s should warn", f)
		}
	}
	v = validValues()
	v.Set("AppQualityCheck", "N")
	if !warned(v, "AppQualityCheck") {
		t.Error("AppQualityCheck with the Web SDK should warn")
	}
	v = validValues()
	v.Set("CallbackToken", "tok")
	if !warned(v, "CallbackToken") {
		t.Error("CallbackToken without CallbackUrl should warn")
	}
	sg, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1", Options: map[string]string{"region": "ap-southeast-1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, w := providers.Problems(sg.Validate(sg.Prepare(validValues())))
	if len(w) != 1 || w[0].Field != "ProductCode" {
		t.Errorf("eKYC outside Hong Kong should warn: %v", w)
	}
	v = validValues()
	v.Set("Unknown", "x")
	v.Set("MerchantUserId")
	errs, _ := providers.Problems(c.Validate(c.Prepare(v)))
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
	}
	if !fields["Unknown"] || !fields["MerchantUserId"] {
		t.Errorf("errors = %v", errs)
	}
	if _, err := c.Request(t.Context(), v); providers.AsError(err).Kind != providers.KindInvalid {
		t.Errorf("Request with invalid values: %v", err)
	}
}

func TestCustomer(t *testing.T) {
	v := validValues()
	v.Set("MerchantUserId")
	v.Set("merchantuserid", " alice ")
	// HMAC-SHA256(key "k"×32, "kycdesk customer id v1\nalice"), computed apart.
	const want = "e40205b514cf3c04b7a4ad3a3bcf65cdb736e664565ecf2692d977c1e37778e1"
	if got := Customer(testKey, v); got != want {
		t.Fatalf("Customer = %q", got)
	}
	v.Set(LocalSendUserIDAsTyped, "true")
	if got := Customer(testKey, v); got != want {
		t.Fatalf("Customer sent as typed = %q: the store must still record the keyed form", got)
	}
	if Customer(testKey, providers.Values{}) != "" {
		t.Fatal("no user id, no customer")
	}
}
