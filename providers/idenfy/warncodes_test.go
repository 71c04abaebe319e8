package idenfy

import (
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// Every warning carries its stable code, so that a desk profile can accept
// it; implausible dates are warnings, not refusals.
func TestWarningsCarryCodes(t *testing.T) {
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1", Credentials: map[string]string{"apiKey": SandboxAPIKey, "apiSecret": SandboxAPISecret}})
	if err != nil {
		t.Fatal(err)
	}
	expired := time.Now().AddDate(0, 0, -2).Format("2006-01-02")
	refusals, warnings := providers.Problems(c.Validate(providers.Values{"clientId": {"c1"},
		"generateDigitString": {"true"}, "dateOfBirth": {"1890-01-01"}, "dateOfExpiry": {expired},
		"locale": {"zzz"}}))
	if len(refusals) != 0 {
		t.Fatalf("refusals: %+v", refusals)
	}
	want := map[string]string{WarnDigitStringContract: "generateDigitString",
		providers.WarnBirthDateImplausible: "dateOfBirth", providers.WarnDocumentExpired: "dateOfExpiry",
		WarnLocaleUndocumented: "locale"}
	if len(warnings) != len(want) {
		t.Fatalf("warnings: %+v", warnings)
	}
	for _, w := range warnings {
		if want[w.Code] != w.Field {
			t.Errorf("warning %+v: want the field %q", w, want[w.Code])
		}
	}
}

// expiryTime 0 warns with its own code too.
func TestExpiryZeroWarningHasACode(t *testing.T) {
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1", Credentials: map[string]string{"apiKey": SandboxAPIKey, "apiSecret": SandboxAPISecret}})
	if err != nil {
		t.Fatal(err)
	}
	refusals, warnings := providers.Problems(c.Validate(providers.Values{"clientId": {"c1"}, "expiryTime": {"0"}}))
	if len(refusals) != 0 || len(warnings) != 1 || warnings[0].Code != WarnExpiryZero || warnings[0].Field != "expiryTime" {
		t.Fatalf("refusals %+v, warnings %+v", refusals, warnings)
	}
}
