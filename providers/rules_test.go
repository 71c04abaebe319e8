package providers

import (
	"strings"
	"testing"
	"time"
)

func TestCountryIsNormalisedBeforeSending(t *testing.T) {
	p := Param{Name: "country", Kind: KindCountry}
	for in, want := range map[string]string{
		"lt": "LT", " Lt ": "LT", "LT": "LT", "Lithuania": "LT", "lithuania": "LT", "LTU": "LT",
		"United Kingdom": "GB", "gb": "GB",
		"UK": "UK", "uk": "UK", // kept, so the check can say GB is meant
		"Atlantis": "Atlantis",
	} {
		if got := p.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	got := (Spec{p}).Canonical(Values{"country": {"lt"}})
	if got.Get("country") != "LT" {
		t.Fatalf("Canonical: %v", got)
	}
}

func TestUKSuggestsGB(t *testing.T) {
	p := Param{Name: "country", Kind: KindCountry}
	for _, in := range []string{"UK", "uk", " Uk"} {
		msg := CheckValue(p, in)
		if !strings.Contains(msg, "use GB (United Kingdom)") || !strings.Contains(msg, `"UK"`) {
			t.Errorf("CheckValue(%q) = %q", in, msg)
		}
	}
	errs := ValidateSpec(Spec{p}, Values{"country": {"uk"}})
	if len(errs) != 1 || errs[0].Warning || errs[0].Field != "country" || !strings.Contains(errs[0].Message, "GB") {
		t.Fatalf("ValidateSpec: %+v", errs)
	}
}

var docChoice = Param{Name: "DocType", Kind: KindEnum, Options: []Option{
	{Value: "01000000", Label: "Global passport"},
	{Value: "00000006", Label: "Hong Kong identity card (2003 version)"},
	{Value: "00000008", Label: "Hong Kong identity card (2018 version)"},
	{Value: "00000011", Label: "Macao identity card"},
}}

func TestChoicesByNameToo(t *testing.T) {
	docs := Param{Name: "documents", Kind: KindMultiEnum, Options: []Option{
		{Value: "PASSPORT", Label: "Passport"}, {Value: "NATIONAL_PASSPORT", Label: "National passport"},
		{Value: "DRIVER_LICENSE", Label: "Driver license"}, {Value: "ID_CARD", Label: "ID card"}}}
	for _, c := range []struct {
		p        Param
		in, want string
	}{
		{docs, "passport", "PASSPORT"}, // the value in another case wins over labels holding the word
		{docs, "Passport", "PASSPORT"},
		{docs, "driver license", "DRIVER_LICENSE"},
		{docs, "national passport", "NATIONAL_PASSPORT"},
		{docChoice, "passport", "01000000"}, // a word of one label only
		{docChoice, "Global passport", "01000000"},
		{docChoice, "macao", "00000011"},
		{docChoice, "01000000", "01000000"},
		{docChoice, "identity card", "identity card"}, // three labels: ambiguous, left for the check
		{docChoice, "id", "id"},                       // too short to match words
	} {
		if got := c.p.Normalize(c.in); got != c.want {
			t.Errorf("%s: Normalize(%q) = %q, want %q", c.p.Name, c.in, got, c.want)
		}
	}
	if msg := CheckValue(docChoice, "passport"); msg != "" {
		t.Errorf("passport refused: %s", msg)
	}
	msg := CheckValue(docChoice, "Hong Kong identity card")
	if !strings.Contains(msg, "could be 00000006") || !strings.Contains(msg, "00000008") {
		t.Errorf("ambiguous name: %q", msg)
	}
	if errs := ValidateSpec(Spec{docs}, Values{"documents": {"passport", "id card"}}); len(errs) != 0 {
		t.Errorf("list by name: %+v", errs)
	}
	got := (Spec{docs}).Canonical(Values{"documents": {"passport,driver license"}})
	if strings.Join(got.List("documents"), ",") != "PASSPORT,DRIVER_LICENSE" {
		t.Errorf("Canonical list: %v", got)
	}
}

func TestImplausibleDatesWarnWithACode(t *testing.T) {
	now := time.Date(2026, 5, 10, 15, 0, 0, 0, time.UTC)
	birth := Param{Name: "dateOfBirth", Kind: KindDate, Date: DateBirth}
	expiry := Param{Name: "dateOfExpiry", Kind: KindDate, Date: DateExpiry}
	other := Param{Name: "dateOfIssue", Kind: KindDate}
	for _, c := range []struct {
		p    Param
		v    string
		code string
	}{
		{birth, "1890-03-01", WarnBirthDateImplausible},
		{birth, "1899-12-31", WarnBirthDateImplausible},
		{birth, "1906-05-09", WarnBirthDateImplausible}, // 120 years and a day
		{birth, "1906-05-10", ""},
		{birth, "1990-12-20", ""},
		{expiry, "2026-05-09", WarnDocumentExpired},
		{expiry, "2001-01-01", WarnDocumentExpired},
		{expiry, "2026-05-10", ""}, // valid through its last day
		{expiry, "2030-12-20", ""},
		{other, "1890-01-01", ""},
	} {
		w, ok := DateWarning(c.p, c.v, now)
		if ok != (c.code != "") || w.Code != c.code {
			t.Errorf("%s=%s: %+v %v, want code %q", c.p.Name, c.v, w, ok, c.code)
			continue
		}
		if ok && (!w.Warning || w.Field != c.p.Name || !strings.Contains(w.Message, c.v)) {
			t.Errorf("%s=%s: %+v", c.p.Name, c.v, w)
		}
	}
	// Through ValidateSpec (today's clock): a warning, not a refusal.
	errs := ValidateSpec(Spec{birth, expiry}, Values{"dateOfBirth": {"1890-01-01"}, "dateOfExpiry": {"2001-01-01"}})
	refusals, warnings := Problems(errs)
	if len(refusals) != 0 || len(warnings) != 2 || warnings[0].Code == "" || warnings[1].Code == "" {
		t.Fatalf("refusals %+v warnings %+v", refusals, warnings)
	}
}

// One rule for every screen: the review's warning, the code screen and the
// journal show a number the same way.
func TestOneMaskingRule(t *testing.T) {
	for in, want := range map[string]string{
		"44-7700900123":    "+44******0123",
		"+44-7700900123":   "+44******0123",
		"+44 7700 900123":  "+44******0123",
		"+447700900123":    "+44******0123",
		"44-2044555666":    "+44******5666",
		"60-6543216353":    "+60******6353", // the seed's own rendering
		"1-4154567899":     "+1******7899",
		"07700 900123":     "*******0123",
		"1-12345":          "+1***45",
		"123":              "****",
		"+44 20 4455 5666": "+44******5666",
		"":                 "",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOnlyValue(t *testing.T) {
	one := Param{Kind: KindEnum, Options: []Option{{Value: "eKYC"}}}
	if v, ok := one.OnlyValue(); !ok || v != "eKYC" {
		t.Fatal(v, ok)
	}
	if _, ok := docChoice.OnlyValue(); ok {
		t.Fatal("several options")
	}
	if _, ok := (Param{Kind: KindText, Options: []Option{{Value: "x"}}}).OnlyValue(); ok {
		t.Fatal("a text suggestion is not a fixed value")
	}
}
