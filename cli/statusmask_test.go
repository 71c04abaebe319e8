package cli

import (
	"strings"
	"testing"
)

// status masks what the provider read from the customer's document
// (Alibaba's ocrIdInfo.name and idNumber), in its fields and in the raw
// answer --verbose shows, as the console does.
func TestStatusMasksWhatTheProviderReadFromTheDocument(t *testing.T) {
	isolate(t)
	startSandbox(t, noEnv)
	l := oneJSON(t, run0(t, "launch", "alibaba", "--set", "MerchantUserId=u1", "--set", "DocType=01000000", "--json").out)
	id, _ := l["session"].(string)
	approveOnCustomerPage(t, l["url"].(string))
	for _, args := range [][]string{{"status", id}, {"status", id, "--verbose"}, {"status", id, "--verbose", "--json"}} {
		r := run0(t, args...)
		all := r.out + r.err
		if strings.Contains(all, "SANDBOX CUSTOMER") || strings.Contains(all, "S000000") {
			t.Errorf("%v shows the document's personal data:\n%s\n%s", args, r.out, r.err)
		}
	}
	txt := run0(t, "status", id).out
	if !strings.Contains(txt, "ocrIdInfo.name: ••••") || !strings.Contains(txt, "ocrIdInfo.docType: ") {
		t.Errorf("the fields are not shown masked:\n%s", txt)
	}
	v := run0(t, "status", id, "--verbose")
	if !strings.Contains(v.err, "provider response") || !strings.Contains(v.err, "ExtIdInfo") {
		t.Errorf("--verbose does not show the raw answer:\n%s", v.err)
	}
	j := oneJSON(t, run0(t, "status", id, "--verbose", "--json").out)
	if resp, ok := j["response"].(map[string]any); !ok || !strings.Contains(resp["body"].(string), "ExtIdInfo") {
		t.Errorf("--json --verbose has no response: %v", j)
	}
}
