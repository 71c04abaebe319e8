package providers

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckValueGenericRules(t *testing.T) {
	cases := []struct {
		p       Param
		v, want string // want is a substring of the message; "" = accepted
	}{
		{Param{Kind: KindText, MaxLen: 3}, "abcd", "at most 3"},
		{Param{Kind: KindText, MinLen: 2}, "a", "at least 2"},
		{Param{Kind: KindText, ASCII: true}, "Jūratė", "ASCII"},
		{Param{Kind: KindText, NoDigits: true}, "J0hn", "digits"},
		{Param{Kind: KindText, Forbidden: "<>"}, "a<b", "must not contain '<'"},
		{Param{Kind: KindText}, "tab\there", "control"},
		{Param{Kind: KindInt, Min: 60, Max: 3600, HasMin: true, HasMax: true}, "59", "between 60 and 3600"},
		{Param{Kind: KindInt}, "1.5", "whole number"},
		{Param{Kind: KindFloat, Max: 1, HasMax: true}, "NaN", "number"},
		{Param{Kind: KindFloat, Max: 1, HasMax: true}, "Inf", "number"},
		{Param{Kind: KindFloat, Max: 1, HasMax: true}, "0.8", ""},
		{Param{Kind: KindBool}, "yes", "true or false"},
		{Param{Kind: KindEnum, Options: []Option{{Value: "M"}, {Value: "F"}}}, "X", "not one of M, F"},
		{Param{Kind: KindDate}, "2001-02-30", "not a real calendar date"},
		{Param{Kind: KindDate}, "20-01-2001", "YYYY-MM-DD"},
		{Param{Kind: KindDate}, "2024-02-29", ""},
		{Param{Kind: KindURL}, "example.com", "absolute URL"},
		{Param{Kind: KindURL, HTTPSOnly: true}, "http://example.com/cb", "https"},
		{Param{Kind: KindURL}, "https://example.com/a b", "spaces"},
		{Param{Kind: KindJSON}, "{", "valid JSON"},
		{Param{Kind: KindJSON, JSONObject: true}, "[1]", "JSON object"},
		{Param{Kind: KindJSON, JSONObject: true}, `{"a":1}`, ""},
		{Param{Kind: KindCountry}, "XX", "not an ISO 3166-1"},
		{Param{Kind: KindCountry}, "Atlantis", "two-letter"},
		{Param{Kind: KindCountry}, "GBR", ""},
		{Param{Kind: KindCountry}, "UK", "use GB (United Kingdom)"},
		{Param{Kind: KindCountry}, "lt", ""},
		{Param{Kind: KindText, Required: true}, "", "required"},
		{Param{Kind: KindText, Required: true, Generate: func() string { return "x" }}, "", ""},
		{Param{Kind: KindText, Aliases: map[string]string{"000000011": "00000011"}, MaxLen: 8}, "000000011", ""},
		{Param{Kind: KindText, Check: func(string) error { return errors.New("custom rule") }}, "x", "custom rule"},
	}
	for _, c := range cases {
		got := CheckValue(c.p, c.v)
		if (c.want == "") != (got == "") || (c.want != "" && !strings.Contains(got, c.want)) {
			t.Errorf("%v %q: got %q, want %q", c.p.Kind, c.v, got, c.want)
		}
	}
}

func TestValidateSpecNamesFieldsAndUnknowns(t *testing.T) {
	spec := Spec{
		{Name: "clientId", Kind: KindText, Required: true},
		{Name: "documents", Kind: KindMultiEnum, Options: []Option{{Value: "PASSPORT"}, {Value: "ID_CARD"}}, MaxLen: 2},
		{Name: "sex", Kind: KindEnum, Options: []Option{{Value: "M"}, {Value: "F"}}},
	}
	errs := ValidateSpec(spec, spec.Canonical(Values{
		"documents": {"PASSPORT", "PASSPORT", "VISA"}, "sex": {"M", "F"}, "bogus": {"1"},
	}))
	got := map[string]string{}
	for _, e := range errs {
		got[e.Field] += e.Message + ";"
	}
	for field, want := range map[string]string{"clientId": "required", "documents": "listed twice", "sex": "takes one value", "bogus": "unknown parameter"} {
		if !strings.Contains(got[field], want) {
			t.Errorf("%s: got %q, want %q", field, got[field], want)
		}
	}
	if !strings.Contains(got["documents"], `"VISA" is not one of`) {
		t.Errorf("documents: %q", got["documents"])
	}
}

func TestCanonicalResolvesNamesAndSplitsLists(t *testing.T) {
	spec := Spec{{Name: "DocType", Kind: KindText, Aliases: map[string]string{"000000012": "00000012"}},
		{Name: "documents", Kind: KindMultiEnum}}
	v := spec.Canonical(Values{"doctype": {" 000000012 "}, "documents": {"PASSPORT,ID_CARD"}})
	if v.Get("DocType") != "00000012" || len(v.List("documents")) != 2 {
		t.Fatalf("canonical: %v", v)
	}
}

func TestSanitizeStripsEscapes(t *testing.T) {
	in := "ok\x1b[31mred\x1b[0m\x1b]52;c;aGVsbG8=\x07\x07bell\u202eevil\r\nnext\x00"
	got := Sanitize(in)
	if strings.ContainsAny(got, "\x1b\x07\x00\u202e\r") {
		t.Fatalf("escape left: %q", got)
	}
	if !strings.Contains(got, "okred") || !strings.Contains(got, "\nnext") {
		t.Fatalf("text lost: %q", got)
	}
	if strings.Contains(SanitizeLine("a\nb"), "\n") {
		t.Fatal("SanitizeLine kept a newline")
	}
	if Sanitize("\xff\xfe") == "\xff\xfe" {
		t.Fatal("invalid UTF-8 kept")
	}
}

func basicRequest(t *testing.T) *http.Request {
	req, err := http.NewRequest("POST", "https://ivs.example/api/v2/token?sig=s3cr3t-value", strings.NewReader(`{"clientId":"c","echo":"s3cr3t-value"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("key-id", "s3cr3t-value")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Other", "prefix s3cr3t-value suffix")
	return req
}

func TestViewAndCurlMaskSecrets(t *testing.T) {
	secrets := []string{"s3cr3t-value"}
	v := View(basicRequest(t), secrets)
	text := v.Text()
	if strings.Contains(text, "s3cr3t-value") || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte("key-id:s3cr3t-value"))) {
		t.Fatalf("secret shown:\n%s", text)
	}
	if !strings.Contains(text, "Basic "+Mask+" (key-id:"+Mask+")") || !strings.Contains(text, `"clientId":"c"`) {
		t.Fatalf("view:\n%s", text)
	}
	if p := v.PrettyText(); strings.Contains(p, "s3cr3t-value") || !strings.Contains(p, PrettyNote+"\n{\n  \"clientId\": \"c\"") {
		t.Fatalf("pretty view:\n%s", p)
	}
	req := basicRequest(t)
	curl := Curl(req, secrets, "IDENFY_API_SECRET")
	if strings.Contains(curl, "s3cr3t-value") || !strings.Contains(curl, `-u 'key-id':"$IDENFY_API_SECRET"`) {
		t.Fatalf("curl:\n%s", curl)
	}
	// The request can still be sent after being shown.
	if b := ReadBody(req); !strings.Contains(string(b), "clientId") {
		t.Fatal("body consumed by Curl")
	}
}

func TestDoClassifiesFailures(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer slow.Close()
	req, _ := http.NewRequest("POST", slow.URL, nil)
	_, err := Do(context.Background(), &http.Client{Timeout: 50 * time.Millisecond}, req)
	if AsError(err).Kind != KindUnknown {
		t.Fatalf("timeout: %v (%s)", err, AsError(err).Kind)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	req, _ = http.NewRequest("POST", "http://"+addr, nil)
	_, err = Do(context.Background(), http.DefaultClient, req)
	if AsError(err).Kind != KindTransport {
		t.Fatalf("refused: %v (%s)", err, AsError(err).Kind)
	}

	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte(`{"authToken":`))
	}))
	defer cut.Close()
	req, _ = http.NewRequest("POST", cut.URL, nil)
	_, err = Do(context.Background(), http.DefaultClient, req)
	if AsError(err).Kind != KindUnknown {
		t.Fatalf("truncated: %v", err)
	}
}

func TestTypedWireValues(t *testing.T) {
	if Typed(Param{Kind: KindInt}, []string{"600"}) != int64(600) || Typed(Param{Kind: KindBool}, []string{"true"}) != true {
		t.Fatal("typed numbers and booleans")
	}
	if l, ok := Typed(Param{Kind: KindMultiEnum}, []string{"A", "B"}).([]string); !ok || len(l) != 2 {
		t.Fatal("lists")
	}
}

// The body shown by review and --dry-run is the body sent, byte for byte:
// DWS signs those bytes, so a re-indented body would not match its
// signature. Pretty-printing is a separate, marked view.
func TestViewBodyIsExact(t *testing.T) {
	for _, body := range []string{
		`{"b":"2","a":{"x":"1"}}`,
		"{\n \"spaced\" :  \"as typed\"\n}",
		`a=1&b=%20`,
		"",
	} {
		req, _ := http.NewRequest("POST", "https://x.example/p", strings.NewReader(body))
		v := View(req, nil)
		if v.Body != body {
			t.Errorf("Body %q, sent %q", v.Body, body)
		}
		if body != "" && !strings.Contains(v.Text(), "\n\n"+body) {
			t.Errorf("Text does not carry the exact body:\n%s", v.Text())
		}
		if sent := ReadBody(req); string(sent) != body {
			t.Errorf("request body changed: %q", sent)
		}
		if body != "" && !strings.Contains(v.PrettyText(), PrettyNote) {
			t.Errorf("pretty view unmarked")
		}
	}
}
