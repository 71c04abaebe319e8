package dws

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kycdesk/kycdesk/providers"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, region string
		want       string
		warn       string // substring of a warning, "" = no warning
		refuse     string // substring of the refusal
	}{
		// The seed's examples and the forms an operator types.
		{in: "+44 20 4455 5666", want: "44-2044555666", warn: "fixed-line"},
		{in: "(020)44555666", region: "GB", want: "44-2044555666", warn: "fixed-line"},
		{in: "(020)44555666", region: "gb", want: "44-2044555666", warn: "fixed-line"},
		{in: "44-2044555666", want: "44-2044555666", warn: "fixed-line"},
		{in: "60-6543216353", want: "60-6543216353", warn: "not a valid number"},
		{in: "1-4154567899", want: "1-4154567899"},
		{in: "+14154567899", want: "1-4154567899"},
		{in: "+1 (415) 456-7899", want: "1-4154567899"},
		{in: "415-456-7899", region: "US", want: "1-4154567899"},
		{in: "415-4567899", region: "US", want: "1-4154567899"},
		{in: "0044 20 4455 5666", region: "GB", want: "44-2044555666", warn: "fixed-line"},
		{in: "+60 12-345 6789", want: "60-123456789"},
		{in: "012-345 6789", region: "MY", want: "60-123456789"},
		{in: "+44 7911 123456", want: "44-7911123456"},
		{in: "07911 123456", region: "GB", want: "44-7911123456"},
		{in: "+39 06 6982 0000", want: "39-0669820000", warn: "fixed-line"},
		{in: "+60 12 345 0999", want: "60-123450999"},
		{in: "+44 800 123 4567", want: "44-8001234567", warn: "toll-free"},
		// Refusals: cannot be a phone number.
		{in: "", refuse: "required"},
		{in: "+44 20", refuse: "short"},
		{in: "12", region: "GB", refuse: "short"},
		{in: "+44 20 4455 5666 7777 8888", refuse: "long"},
		{in: "+1 415 CALL NOW", refuse: "letters"},
		{in: "phone", region: "GB", refuse: "letters"},
		{in: "+999 1234 5678", refuse: "country code"},
		{in: "999-12345678", refuse: "country calling code"},
		{in: "(020)44555666", refuse: "national format"},
		{in: "+44 20 4455 5666 ext. 12", refuse: "letters"},
		{in: "+44 20 4455 5666;12", refuse: "contains"},
		{in: "+44+2044555666", refuse: "contains"},
		{in: "1-" + strings.Repeat("5", 70), refuse: "at most"},
	}
	for _, tc := range tests {
		got, warns, err := NormalizePhone(tc.in, tc.region)
		if tc.refuse != "" {
			if err == nil || !strings.Contains(err.Error(), tc.refuse) {
				t.Errorf("NormalizePhone(%q, %q) = %q, %v; want refusal with %q", tc.in, tc.region, got, err, tc.refuse)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tc.in, tc.region, got, err, tc.want)
			continue
		}
		joined := strings.Join(warns, "; ")
		if tc.warn == "" && len(warns) > 0 {
			t.Errorf("NormalizePhone(%q): unexpected warnings %q", tc.in, joined)
		}
		if tc.warn != "" && !strings.Contains(joined, tc.warn) {
			t.Errorf("NormalizePhone(%q): warnings %q, want one with %q", tc.in, joined, tc.warn)
		}
		if strings.Contains(joined, got) {
			t.Errorf("NormalizePhone(%q): warning shows the full number: %q", tc.in, joined)
		}
	}
}

func TestValidatePhoneWithCountry(t *testing.T) {
	c, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1"})
	fieldErrs := func(v providers.Values) (ref, warn []providers.FieldError) {
		return providers.Problems(c.Validate(c.Prepare(v)))
	}
	ref, warn := fieldErrs(vals(ParamIdentityValue, "(020)44555666", ParamCountry, "GB"))
	if len(ref) != 0 || len(warn) != 1 || warn[0].Field != ParamIdentityValue {
		t.Fatalf("national with country: refusals %v warnings %v", ref, warn)
	}
	ref, _ = fieldErrs(vals(ParamIdentityValue, "(020)44555666"))
	if len(ref) != 1 || !strings.Contains(ref[0].Message, "country") {
		t.Fatalf("national without country: %v", ref)
	}
	ref, _ = fieldErrs(vals(ParamIdentityValue, "+1 415 CALL NOW"))
	if len(ref) != 1 || ref[0].Field != ParamIdentityValue {
		t.Fatalf("letters: %v", ref)
	}
	ref, _ = fieldErrs(vals(ParamIdentityValue, "+44 7911 123456", ParamCountry, "XX"))
	if len(ref) != 1 || ref[0].Field != ParamCountry {
		t.Fatalf("bad country: %v", ref)
	}
	ref, warn = fieldErrs(vals(ParamIdentityValue, "+44 7911 123456"))
	if len(ref)+len(warn) != 0 {
		t.Fatalf("UK mobile: %v %v", ref, warn)
	}
	// The field check (no country known) lets national numbers through to Validate.
	p, _ := Spec().Lookup(ParamIdentityValue)
	if msg := providers.CheckValue(p, "(020)44555666"); msg != "" {
		t.Fatalf("field check refuses a national number: %s", msg)
	}
	if msg := providers.CheckValue(p, "+44 20"); msg == "" {
		t.Fatal("field check accepts +44 20")
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+44 20 4455 5666", "(020)44555666", "60-6543216353", "1-4154567899", "+999", "0044", "+1 415 CALL", "١٢٣", "--", "+", "1-", "-1", "+39 06 698"} {
		f.Add(s, "GB")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, in, region string) {
		wire, warns, err := NormalizePhone(in, region)
		if err != nil {
			if wire != "" || warns != nil {
				t.Fatalf("error with a result: %q %q %v", wire, warns, err)
			}
			return
		}
		if !wireForm().MatchString(wire) || strings.HasPrefix(wire, "+") {
			t.Fatalf("NormalizePhone(%q, %q) = %q: not the wire form", in, region, wire)
		}
		if n := len(strings.ReplaceAll(wire, "-", "")); n > 17 {
			t.Fatalf("wire %q has %d digits", wire, n)
		}
		// The wire form is stable: normalising it again gives itself.
		again, _, err := NormalizePhone(wire, "")
		if err != nil || again != wire {
			t.Fatalf("renormalising %q: %q %v", wire, again, err)
		}
		m := providers.MaskPhone(wire)
		if !utf8.ValidString(m) || m == wire {
			t.Fatalf("providers.MaskPhone(%q) = %q", wire, m)
		}
	})
}

// Phone warnings carry their stable codes, so that a desk profile can
// accept them.
func TestPhoneWarningsCarryCodes(t *testing.T) {
	for _, c := range []struct{ number, code string }{
		{"44-2044555666", WarnPhoneNotMobile}, // a London fixed line (the seed's example)
		{"60-6543216353", WarnPhoneNotValid},  // the seed's sample, invalid for libphonenumber
	} {
		_, warnings := providers.Problems(validate(withDefaults(providers.Values{ParamIdentityValue: {c.number}})))
		if len(warnings) != 1 || warnings[0].Code != c.code || warnings[0].Field != ParamIdentityValue {
			t.Errorf("%s: %+v", c.number, warnings)
		}
	}
}
