package cli

import (
	"strings"
	"testing"
)

// The command line sends what was typed, converts only documented
// spellings and says so, and refuses a word of a label (exit 2) naming
// the option it may mean.
func TestLaunchValuesAsTyped(t *testing.T) {
	isolate(t)
	// Exact values: sent as they are, nothing on stderr.
	r := run0(t, "launch", "idenfy", "--set", "clientId=x", "--set", "country=LT", "--set", "sex=M", "--set", "tokenType=DOCUMENT", "--dry-run")
	if strings.Contains(r.err, "note:") || !strings.Contains(r.out, `"country":"LT"`) || !strings.Contains(r.out, `"tokenType":"DOCUMENT"`) {
		t.Fatalf("exact values:\n%s\n%s", r.out, r.err)
	}
	// Another case, alpha-3, an option's whole label: converted, each
	// named on stderr.
	r = run0(t, "launch", "idenfy", "--set", "clientId=x", "--set", "country=LTU", "--set", "sex=male", "--set", "documents=passport,ID_CARD", "--dry-run")
	for _, want := range []string{"note: country: LTU sent as LT\n", "note: sex: male sent as M\n", "note: documents: passport sent as PASSPORT\n"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	if !strings.Contains(r.out, `"country":"LT"`) || !strings.Contains(r.out, `"sex":"M"`) || !strings.Contains(r.out, `"documents":["PASSPORT","ID_CARD"]`) {
		t.Fatalf("converted values not sent:\n%s", r.out)
	}
	// A word found in a label is not the value: refused, exit 2, the
	// option it may mean named; nothing is sent.
	bad := cli(t, nil, "launch", "idenfy", "--set", "clientId=x", "--set", "tokenType=SELFIE", "--dry-run")
	if bad.code != exitInvalid || !strings.Contains(bad.err, `tokenType: "SELFIE" is not one of its values`) ||
		!strings.Contains(bad.err, "IDENTIFICATION") || strings.Contains(bad.out, "tokenType") {
		t.Fatalf("SELFIE: exit %d\n%s\n%s", bad.code, bad.out, bad.err)
	}
	j := cli(t, nil, "launch", "idenfy", "--set", "clientId=x", "--set", "tokenType=selfie", "--json")
	if m := oneJSON(t, j.out); j.code != exitInvalid || m["error"].(map[string]any)["field"] != "tokenType" {
		t.Fatalf("--json: exit %d %v", j.code, m)
	}
	// The same rules for a profile's asked fields.
	writeProfile(t, "dws", "provider = \"dws\"\nasked = [\"identityValue\", \"country\"]\naccepted = []\n")
	r = run0(t, "launch", "--profile", "dws", "--set", "identityValue=+44 7400 123456", "--set", "country=GBR", "--dry-run")
	if !strings.Contains(r.err, "note: country: GBR sent as GB\n") {
		t.Fatalf("profile: %s", r.err)
	}
}

// `sessions` shows a launch's desk label (its column, and "label" in
// --json); an Alibaba customer's keyed hash is not a 64-digit column.
func TestSessionsShowTheDeskLabel(t *testing.T) {
	isolate(t)
	startSandbox(t, noEnv)
	writeProfile(t, "hk", "provider = \"alibaba\"\nlabel = \"Ticket number\"\nasked = [\"MerchantUserId\"]\naccepted = [\"return-url-unset\"]\n[values]\nDocType = \"01000000\"\n")
	a, _ := oneJSON(t, run0(t, "launch", "--profile", "hk", "--set", "MerchantUserId=cust-9", "--label", "T-043", "--json").out)["session"].(string)
	b, _ := oneJSON(t, run0(t, "launch", "alibaba", "--set", "MerchantUserId=cust-10", "--set", "DocType=01000000", "--json").out)["session"].(string)
	cust := map[string]string{}
	for _, s := range sessionsJSON(t) {
		cust[s["session"].(string)], _ = s["customer"].(string)
	}
	if len(cust[b]) < 32 {
		t.Fatalf("the Alibaba customer is %q, not a keyed hash: this test needs one", cust[b])
	}
	r := run0(t, "sessions")
	for _, line := range strings.Split(r.out, "\n") {
		switch {
		case strings.HasPrefix(line, a+" ") && !strings.Contains(line, "#T-043"):
			t.Errorf("the label is not shown: %q", line)
		case strings.HasPrefix(line, b+" ") && strings.Contains(line, cust[b][:12]):
			t.Errorf("a long hash is shown as the customer: %q", line)
		}
	}
	for _, s := range sessionsJSON(t) {
		want := ""
		if s["session"] == a {
			want = "T-043"
		}
		if l, ok := s["label"].(string); !ok || l != want {
			t.Errorf("session %v: label %v, want %q", s["session"], s["label"], want)
		}
	}
}

// params cites the providers' own documents, never the project's files,
// decision numbers or seed numbers, and lists other spellings on one line.
func TestParamsWording(t *testing.T) {
	isolate(t)
	for _, p := range []string{"idenfy", "alibaba", "dws"} {
		out := run0(t, "params", p).out
		for _, bad := range []string{"decisions.go", "reference/", "[002]", "[003]", "[B]", "the seed", "The seed", "§"} {
			if strings.Contains(out, bad) {
				i := strings.Index(out, bad)
				t.Errorf("params %s cites %q: …%s…", p, bad, out[max(0, i-80):min(len(out), i+80)])
			}
		}
		lines := strings.Split(out, "\n")
		for i := 1; i < len(lines); i++ {
			if strings.HasPrefix(strings.TrimSpace(lines[i]), "also accepted:") && strings.HasPrefix(strings.TrimSpace(lines[i-1]), "also accepted:") {
				t.Fatalf("params %s: more than one also-accepted line:\n%s\n%s", p, lines[i-1], lines[i])
			}
		}
	}
	if out := run0(t, "params", "idenfy").out; !strings.Contains(out, "also accepted: the values in any case") {
		t.Error("locale's case aliases are not collapsed")
	}
	bad := cli(t, nil, "launch", "idenfy", "--set", "clientId=x", "--set", "locale=not a code", "--dry-run")
	if bad.code != exitInvalid || strings.Contains(bad.err, "ko") {
		t.Fatalf("locale error: exit %d\n%s", bad.code, bad.err)
	}
}
