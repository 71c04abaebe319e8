package providers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSanitizeStripsBidiControls(t *testing.T) {
	bidi := "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
	for _, r := range bidi {
		in := "ref-" + string(r) + "123"
		if got := Sanitize(in); got != "ref-123" {
			t.Errorf("Sanitize(%q) = %q", in, got)
		}
		if got := SanitizeLine(in); got != "ref-123" {
			t.Errorf("SanitizeLine(%q) = %q", in, got)
		}
	}
	// Letters of right-to-left scripts are text, not controls.
	if got := Sanitize("שלום مرحبا"); got != "שלום مرحبا" {
		t.Errorf("RTL text changed: %q", got)
	}
}

func TestStripUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pw@127.0.0.1:8470/x?y=1": "http://127.0.0.1:8470/x?y=1",
		"https://pw@host.example":             "https://host.example",
		"https://host.example/a@b":            "https://host.example/a@b",
		"http://u:p%zz@h:1/x":                 "http://h:1/x", // does not parse
		"no url at all":                       "no url at all",
	} {
		if got := StripUserinfo(in); got != want {
			t.Errorf("StripUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClientPresentsSandboxToken: the token goes on the wire in sandbox
// mode only, and never into the request a review or dry run shows.
func TestClientPresentsSandboxToken(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get(SandboxTokenHeader))
	}))
	defer srv.Close()
	for _, mode := range []Mode{ModeSandbox, ModeLive} {
		cfg := Config{Mode: mode, SandboxToken: "tok-abc"}
		req, _ := http.NewRequest("GET", srv.URL, nil)
		resp, err := cfg.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.Header.Get(SandboxTokenHeader) != "" || strings.Contains(View(req, nil).Text(), "tok-abc") {
			t.Fatal("the token was added to the caller's request")
		}
	}
	if len(got) != 2 || got[0] != "tok-abc" || got[1] != "" {
		t.Fatalf("tokens on the wire: %q, want only the sandbox one", got)
	}
}
