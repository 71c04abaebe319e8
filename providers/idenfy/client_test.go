package idenfy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testSecret = "s3cr3t-VALUE/with+chars"

// stub answers every request with status and body and counts the hits.
func stub(t *testing.T, status int, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func clientFor(t *testing.T, base string, mod func(*providers.Config)) providers.Client {
	t.Helper()
	cfg := providers.Config{Mode: providers.ModeSandbox, BaseURL: base,
		Credentials: map[string]string{"apiKey": "key-123", "apiSecret": testSecret},
		Now:         clocktest.New(t0).Now, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func asErr(t *testing.T, err error) *providers.Error {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	var pe *providers.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T %v is not *providers.Error", err, err)
	}
	return pe
}

// clean reports whether s holds no escape or control characters.
func clean(s string) bool {
	for _, r := range s {
		if r == '\x1b' || r == '\x9b' || (unicode.IsControl(r) && r != '\n' && r != '\t') {
			return false
		}
	}
	return true
}

func TestNewConfig(t *testing.T) {
	creds := map[string]string{"apiKey": "k", "apiSecret": "s"}
	cases := []struct {
		name  string
		cfg   providers.Config
		field string
	}{
		{"no key", providers.Config{BaseURL: "http://127.0.0.1:1", Credentials: map[string]string{"apiSecret": "s"}}, "apiKey"},
		{"no secret", providers.Config{BaseURL: "http://127.0.0.1:1", Credentials: map[string]string{"apiKey": "k"}}, "apiSecret"},
		{"sandbox without endpoint", providers.Config{Credentials: creds}, "base_url"},
		{"not a URL", providers.Config{BaseURL: "ivs.idenfy.com", Credentials: creds}, "base_url"},
		{"live plain http", providers.Config{Mode: providers.ModeLive, BaseURL: "http://ivs.example.com", Credentials: creds}, "base_url"},
	}
	for _, tc := range cases {
		_, err := New(tc.cfg)
		if e := asErr(t, err); e.Kind != providers.KindInvalid || e.Field != tc.field || e.Action == "" {
			t.Errorf("%s: %+v", tc.name, e)
		}
	}
	for _, cfg := range []providers.Config{
		{Mode: providers.ModeLive, Credentials: creds},
		{Mode: providers.ModeLive, BaseURL: "http://127.0.0.1:8470/", Credentials: creds},
		{Mode: providers.ModeSandbox, BaseURL: "http://192.168.1.5:8470", Credentials: creds},
	} {
		if _, err := New(cfg); err != nil {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	c, _ := New(providers.Config{Mode: providers.ModeLive, Credentials: creds})
	req, _ := c.Request(context.Background(), providers.Values{"clientId": {"a"}})
	if req.URL.String() != "https://ivs.idenfy.com/api/v2/token" {
		t.Errorf("live default URL: %s", req.URL)
	}
}

func TestRequestBuildsTypedBody(t *testing.T) {
	c := clientFor(t, "http://127.0.0.1:1/", nil)
	v := providers.Values{
		"clientId": {"100000"}, "firstName": {"John Tom"}, "expiryTime": {"600"}, "showInstructions": {"false"},
		"documents": {"PASSPORT", "ID_CARD"}, "additionalSteps": {`{"ALL": {"ALL": {"UTILITY_BILL": {"type": "UPLOAD"}}}}`},
		"levenshteinTextMatchRatio": {"0.8"}, "nationality": {"ALL"}, "ageLimit": {"18"}, "locale": {"LT"},
		"country": {"lt"},
	}
	req, err := c.Request(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodPost || req.URL.String() != "http://127.0.0.1:1/api/v2/token" {
		t.Errorf("%s %s", req.Method, req.URL)
	}
	if ct := req.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if u, p, ok := req.BasicAuth(); !ok || u != "key-123" || p != testSecret {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	body := providers.ReadBody(req)
	if !strings.HasPrefix(string(body), `{"clientId":"100000",`) {
		t.Errorf("body should start with clientId in spec order: %s", body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m["expiryTime"] != float64(600) || m["showInstructions"] != false || m["levenshteinTextMatchRatio"] != 0.8 ||
		m["ageLimit"] != float64(18) || m["nationality"] != "ALL" || m["locale"] != "lt" || m["country"] != "LT" {
		t.Errorf("types: %v", m)
	}
	if docs, ok := m["documents"].([]any); !ok || len(docs) != 2 || docs[0] != "PASSPORT" {
		t.Errorf("documents: %#v", m["documents"])
	}
	if steps, ok := m["additionalSteps"].(map[string]any); !ok || steps["ALL"] == nil {
		t.Errorf("additionalSteps should be a raw JSON object: %#v", m["additionalSteps"])
	}
	if len(m) != len(v) {
		t.Errorf("only the set fields are sent: %v", m)
	}
	// The body can be read again (review, then send).
	if again := providers.ReadBody(req); string(again) != string(body) {
		t.Error("body not restorable")
	}
}

func TestRequestSendsNothingAndMasksSecret(t *testing.T) {
	srv, hits := stub(t, 201, `{}`)
	c := clientFor(t, srv.URL, nil)
	req, err := c.Request(context.Background(), providers.Values{"clientId": {"c-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 0 {
		t.Fatal("Request must not send")
	}
	view := providers.View(req, c.Secrets())
	text := view.Text()
	esc := url.QueryEscape(testSecret)
	if strings.Contains(text, testSecret) || strings.Contains(text, esc) {
		t.Fatalf("secret shown:\n%s", text)
	}
	var auth string
	for _, h := range view.Headers {
		if h[0] == "Authorization" {
			auth = h[1]
		}
	}
	if !strings.HasPrefix(auth, "Basic "+providers.Mask) || !strings.Contains(auth, "key-123") {
		t.Errorf("Authorization shown as %q", auth)
	}
	curl := providers.Curl(req, c.Secrets(), APISecretEnv)
	if strings.Contains(curl, testSecret) || !strings.Contains(curl, "$IDENFY_API_SECRET") {
		t.Errorf("curl: %s", curl)
	}
	basic := base64.StdEncoding.EncodeToString([]byte("key-123:" + testSecret))
	if got := c.Secrets(); len(got) != 2 || got[0] != testSecret || got[1] != basic {
		t.Errorf("Secrets() = %v (want the secret and the Basic credentials)", got)
	}
}

const okToken = `{"message":"Token created successfully","authToken":"pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC",
"scanRef":"ec6a7108-8c26-11e9-9758-309c231b1bac","clientId":"100000","expiryTime":600,"sessionLength":600,
"digitString":"48236570","redirectUrl":"https://ivs.idenfy.com/api/v2/redirect?authToken=pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC"}`

func TestLaunchDecodesToken(t *testing.T) {
	for _, status := range []int{200, 201, 202} {
		srv, _ := stub(t, status, okToken)
		l, err := clientFor(t, srv.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"100000"}})
		if err != nil {
			t.Fatalf("%d: %v", status, err)
		}
		if l.Provider != "idenfy" || l.References["scanRef"] != "ec6a7108-8c26-11e9-9758-309c231b1bac" ||
			l.References["authToken"] != "pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC" || l.Customer != "100000" {
			t.Errorf("%+v", l)
		}
		if l.URL != "https://ivs.idenfy.com/api/v2/redirect?authToken=pgYQX0z2T8mtcpNj9I20uWVCLKNuG0vgr12f0wAC" {
			t.Errorf("URL %s", l.URL)
		}
		if !l.ExpiresAt.Equal(t0.Add(600*time.Second)) || l.Extra["digitString"] != "48236570" {
			t.Errorf("expires %v extra %v", l.ExpiresAt, l.Extra)
		}
		if len(l.Notes) < 3 || !strings.Contains(l.Notes[0], "from iDenfy's answer") {
			t.Errorf("notes %q", l.Notes)
		}
	}
}

func TestLaunchRedirectAndExpiryFallbacks(t *testing.T) {
	cases := []struct {
		name, body string
		values     providers.Values
		expiry     time.Duration
		source     string
	}{
		{"answer without expiry, request has it", `{"authToken":"tok/+=1","scanRef":"s"}`,
			providers.Values{"clientId": {"c"}, "expiryTime": {"1200"}}, 1200 * time.Second, "as requested"},
		{"neither", `{"authToken":"tok/+=1","scanRef":"s","expiryTime":null}`,
			providers.Values{"clientId": {"c"}}, 86400 * time.Second, "documented default"},
		{"bad redirectUrl is not used", `{"authToken":"tok/+=1","scanRef":"s","redirectUrl":"javascript:alert(1)","expiryTime":"300"}`,
			providers.Values{"clientId": {"c"}}, 300 * time.Second, "from iDenfy's answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := stub(t, 201, tc.body)
			l, err := clientFor(t, srv.URL, nil).Launch(context.Background(), tc.values)
			if err != nil {
				t.Fatal(err)
			}
			if want := srv.URL + "/api/v2/redirect?authToken=tok%2F%2B%3D1"; l.URL != want {
				t.Errorf("URL %s, want %s", l.URL, want)
			}
			if !l.ExpiresAt.Equal(t0.Add(tc.expiry)) || !strings.Contains(l.Notes[0], tc.source) {
				t.Errorf("expires %v, note %q", l.ExpiresAt, l.Notes[0])
			}
			if l.Customer != "c" || l.Extra != nil {
				t.Errorf("customer %q extra %v", l.Customer, l.Extra)
			}
		})
	}
}

func TestLaunchInvalidSendsNothing(t *testing.T) {
	srv, hits := stub(t, 201, okToken)
	c := clientFor(t, srv.URL, nil)
	_, err := c.Launch(context.Background(), providers.Values{"firstName": {"R2D2"}})
	e := asErr(t, err)
	if e.Kind != providers.KindInvalid || hits.Load() != 0 || providers.AsError(err).Kind != providers.KindInvalid {
		t.Fatalf("%+v, hits %d", e, hits.Load())
	}
	if len(e.Fields) != 2 || !strings.Contains(e.Message, "clientId: required") || !strings.Contains(e.Message, "firstName:") {
		t.Errorf("%+v", e)
	}
	// Warnings do not stop a launch.
	if _, err := c.Launch(context.Background(), providers.Values{"clientId": {"c"}, "generateDigitString": {"true"}}); err != nil {
		t.Errorf("warning stopped the launch: %v", err)
	}
	var sent map[string]any
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&sent)
		w.WriteHeader(201)
		_, _ = io.WriteString(w, okToken)
	}))
	defer srv2.Close()
	if _, err := clientFor(t, srv2.URL, nil).Launch(context.Background(), providers.Values{"personScanRef": {"legacy"}}); err != nil {
		t.Fatal(err)
	}
	if sent["clientId"] != "legacy" || sent["personScanRef"] != nil {
		t.Errorf("legacy alias sent as %v", sent)
	}
}

func TestLaunchErrorShapes(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		kind     providers.ErrorKind
		code     string
		msg      string // in Message
		action   string // in Action
		field    string
		exitCode int
	}{
		{"bad value", 400, `{"identifier":"BAD_VALUE","message":"firstName: Digits are not allowed."}`,
			providers.KindRejected, "BAD_VALUE", "Digits are not allowed", "correct the field", "firstName", 3},
		{"missing value", 400, `{"identifier":"MISSING_VALUE","message":"clientId: This field is required."}`,
			providers.KindRejected, "MISSING_VALUE", "required", "clientId", "clientId", 3},
		{"401 without identifier", 401, `{"message":"Invalid authorization credentials"}`,
			providers.KindRejected, "HTTP_401", "Invalid authorization credentials", "IDENFY_API_SECRET", "", 3},
		{"401 sandbox keys", 401, `{"message":"Invalid authorization credentials"}`,
			providers.KindRejected, "HTTP_401", "", "sandbox keys are not used against production", "", 3},
		{"UNAUTHORIZED identifier", 401, `{"identifier":"UNAUTHORIZED","message":"Unauthorized"}`,
			providers.KindRejected, "UNAUTHORIZED", "Unauthorized", "IDENFY_API_KEY", "", 3},
		{"402 funds", 402, `{"message":"Action not allowed due to lack of funds or exceeded limit."}`,
			providers.KindRejected, "HTTP_402", "lack of funds", "top up", "", 3},
		{"403 inactive", 403, `{"message":"Partner inactive"}`,
			providers.KindRejected, "HTTP_403", "Partner inactive", "contact iDenfy", "", 3},
		{"403 environment", 403, `{"message":"This endpoint is not available for SANDBOX partners."}`,
			providers.KindRejected, "HTTP_403", "not available for SANDBOX", "sandbox keys", "", 3},
		{"409 duplicate clientId", 409, `{"message":"Duplicate clientId"}`,
			providers.KindRejected, "HTTP_409", "Duplicate clientId", "already has an active session", "clientId", 3},
		{"409 empty body", 409, ``,
			providers.KindRejected, "HTTP_409", "already has an active session", "wait for its final result", "", 3},
		{"429 without identifier", 429, `{"message":"Too many requests"}`,
			providers.KindRejected, "HTTP_429", "Too many", "10,000 requests per hour", "", 3},
		{"TOO_MANY_REQUESTS", 429, `{"identifier":"TOO_MANY_REQUESTS","message":"Request limit reached"}`,
			providers.KindRejected, "TOO_MANY_REQUESTS", "limit", "backoff", "", 3},
		{"token limit", 400, `{"identifier":"PERMISSIONS_ERROR","message":"Partner reached token limit."}`,
			providers.KindRejected, "PERMISSIONS_ERROR", "token limit", "top up", "", 3},
		{"contract", 400, `{"identifier":"PARTNER_CONTRACT_ERROR","message":"Digit string is not allowed."}`,
			providers.KindRejected, "PARTNER_CONTRACT_ERROR", "Digit string", "sales@idenfy.com", "", 3},
		{"json", 400, `{"identifier":"JSON_ERROR","message":"JSON parse error"}`,
			providers.KindRejected, "JSON_ERROR", "JSON parse error", "additionalSteps", "", 3},
		{"encoding", 400, `{"identifier":"ENCODING_ERROR","message":"bad encoding"}`,
			providers.KindRejected, "ENCODING_ERROR", "bad encoding", "unusual characters", "", 3},
		{"token not valid", 400, `{"identifier":"TOKEN_NOT_VALID","message":"Token is not valid"}`,
			providers.KindRejected, "TOKEN_NOT_VALID", "not valid", "new session", "", 3},
		{"method", 405, `{"identifier":"METHOD_NOT_ALLOWED","message":"Method \"GET\" not allowed."}`,
			providers.KindRejected, "METHOD_NOT_ALLOWED", "not allowed", "KYCDESK_IDENFY_URL", "", 3},
		{"validation", 400, `{"identifier":"VALIDATION_ERROR","message":"sessionLength: too long"}`,
			providers.KindRejected, "VALIDATION_ERROR", "too long", "correct the fields", "sessionLength", 3},
		{"partner error with docs", 400, `{"message":"Token has not expired yet.","identifier":"PARTNER_ERROR","documentation":"https://documentation.idenfy.com/","severity":"NOT_SEVERE"}`,
			providers.KindRejected, "PARTNER_ERROR", "not expired yet", "see https://documentation.idenfy.com/", "", 3},
		{"lowercase identifier", 400, `{"identifier":"bad_value","message":"x"}`,
			providers.KindRejected, "BAD_VALUE", "x", "correct the field", "", 3},
		{"unknown identifier", 400, `{"identifier":"SOMETHING_NEW","message":"new rule"}`,
			providers.KindRejected, "SOMETHING_NEW", "new rule", "contact iDenfy support", "", 3},
		{"internal error", 500, `{"identifier":"INTERNAL_ERROR","message":"Internal error"}`,
			providers.KindUnknown, "INTERNAL_ERROR", "Internal error", "check the dashboard", "", 4},
		{"internal error on 400", 400, `{"identifier":"INTERNAL_ERROR","message":"oops"}`,
			providers.KindUnknown, "INTERNAL_ERROR", "oops", "check the dashboard", "", 4},
		{"502 html", 502, `<html><body><h1>502 Bad Gateway</h1></body></html>`,
			providers.KindUnknown, "HTTP_502", "502 Bad Gateway: <html>", "may have been created", "", 4},
		{"non-JSON 400", 400, `Bad Request`,
			providers.KindRejected, "HTTP_400", "400 Bad Request: Bad Request", "iDenfy refused", "", 3},
		{"truncated JSON error", 400, `{"identifier":"BAD_VA`,
			providers.KindRejected, "HTTP_400", `{"identifier":"BAD_VA`, "iDenfy refused", "", 3},
		{"JSON array", 400, `["x"]`, providers.KindRejected, "HTTP_400", `["x"]`, "iDenfy refused", "", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := stub(t, tc.status, tc.body)
			_, err := clientFor(t, srv.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c-1"}})
			e := asErr(t, err)
			if e.Kind != tc.kind || e.Code != tc.code || e.HTTPStatus != tc.status {
				t.Errorf("kind %s code %q status %d", e.Kind, e.Code, e.HTTPStatus)
			}
			if !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q lacks %q", e.Message, tc.msg)
			}
			if !strings.Contains(e.Action, tc.action) {
				t.Errorf("action %q lacks %q", e.Action, tc.action)
			}
			if e.Field != tc.field {
				t.Errorf("field %q, want %q", e.Field, tc.field)
			}
			if strings.Contains(e.Error(), testSecret) {
				t.Error("secret in error")
			}
		})
	}
}

func TestEveryIdentifierHasAnAction(t *testing.T) {
	for _, id := range []string{"INTERNAL_ERROR", "BAD_VALUE", "MISSING_VALUE", "UNAUTHORIZED", "ENCODING_ERROR",
		"JSON_ERROR", "TOKEN_NOT_VALID", "PARTNER_CONTRACT_ERROR", "METHOD_NOT_ALLOWED", "PERMISSIONS_ERROR",
		"TOO_MANY_REQUESTS", "VALIDATION_ERROR", "PARTNER_ERROR"} {
		info, ok := identifiers()[id]
		if !ok || info.meaning == "" || info.action == "" {
			t.Errorf("%s: %+v", id, info)
		}
		e := decodeError(400, []byte(`{"identifier":"`+id+`"}`))
		if e.Code != id || e.Message != info.meaning || e.Action == "" {
			t.Errorf("%s without message: %+v", id, e)
		}
	}
	for _, st := range []int{401, 402, 403, 409, 429} {
		if info := byStatus()[st]; info.action == "" {
			t.Errorf("%d has no action", st)
		}
	}
}

func TestLaunchTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := clientFor(t, srv.URL, func(cfg *providers.Config) { cfg.Timeout = 100 * time.Millisecond })
	// The server never answers until released: without the timeout this
	// Launch would block until the test binary's own deadline.
	_, err := c.Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if e := asErr(t, err); e.Kind != providers.KindUnknown || providers.AsError(err).Kind != providers.KindUnknown {
		t.Errorf("%+v", e)
	}
	// The caller's HTTP client without its own timeout is still bounded.
	c = clientFor(t, srv.URL, func(cfg *providers.Config) {
		cfg.Timeout = 100 * time.Millisecond
		cfg.HTTP = &http.Client{}
	})
	_, err = c.Status(context.Background(), &providers.Launch{References: map[string]string{"scanRef": "s"}})
	if e := asErr(t, err); e.Kind != providers.KindUnknown {
		t.Errorf("status timeout: %+v", e)
	}
}

func TestLaunchTruncatedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"authToken":"abc","scan`)
	}))
	defer srv.Close()
	_, err := clientFor(t, srv.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if e := asErr(t, err); e.Kind != providers.KindUnknown {
		t.Errorf("cut-off body: %+v", e)
	}
	// A complete answer whose JSON is cut short is unknown too: a token may exist.
	srv2, _ := stub(t, 201, `{"authToken":"abc","scan`)
	_, err = clientFor(t, srv2.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if e := asErr(t, err); e.Kind != providers.KindUnknown || !strings.Contains(e.Message, "could not be read") {
		t.Errorf("truncated JSON: %+v", e)
	}
	// 2xx without authToken.
	srv3, _ := stub(t, 200, `{"message":"ok"}`)
	_, err = clientFor(t, srv3.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if e := asErr(t, err); e.Kind != providers.KindUnknown || !strings.Contains(e.Message, "no authToken") {
		t.Errorf("no token: %+v", e)
	}
}

func TestConnectionRefusedIsTransport(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	_, err := clientFor(t, base, nil).Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if e := asErr(t, err); e.Kind != providers.KindTransport {
		t.Errorf("%+v", e)
	}
}

// escapes is a string full of terminal escape sequences and controls.
const escapes = "\x1b[31mRED\x1b[0m\x1b]52;c;SGVsbG8=\x07\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\\x1b[2J\x1b[?1049h\r\x08\x00\u202e\x9b31m"

func TestLaunchANSIBodyIsClean(t *testing.T) {
	enc := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	body := `{"authToken":` + enc("tok"+escapes) + `,"scanRef":` + enc("scan"+escapes) +
		`,"clientId":` + enc("cli"+escapes) + `,"digitString":` + enc("1234"+escapes) +
		`,"redirectUrl":` + enc("https://ivs.idenfy.com/x"+escapes) + `,"expiryTime":60}`
	srv, _ := stub(t, 201, body)
	l, err := clientFor(t, srv.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if err != nil {
		t.Fatal(err)
	}
	all := []string{l.URL, l.Customer}
	for _, v := range l.References {
		all = append(all, v)
	}
	for _, v := range l.Extra {
		all = append(all, v)
	}
	all = append(all, l.Notes...)
	for _, s := range all {
		if !clean(s) {
			t.Errorf("not clean: %q", s)
		}
	}
	if !strings.HasPrefix(l.References["authToken"], "tokRED") || !strings.HasPrefix(l.Extra["digitString"], "1234RED") {
		t.Errorf("text lost: %v %v", l.References, l.Extra)
	}

	// Error bodies and status answers are cleaned too.
	srv2, _ := stub(t, 400, `{"identifier":`+enc("BAD_VALUE"+escapes)+`,"message":`+enc("bad"+escapes+"\nline2")+`}`)
	_, err = clientFor(t, srv2.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c"}})
	e := asErr(t, err)
	if !clean(e.Message) || !clean(e.Code) || !clean(e.Action) || !strings.Contains(e.Message, "badRED") {
		t.Errorf("error not clean: %q %q", e.Code, e.Message)
	}
	srv3, _ := stub(t, 502, "<h1>"+escapes+"</h1>")
	_, err = clientFor(t, srv3.URL, nil).Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if e := asErr(t, err); !clean(e.Message) {
		t.Errorf("non-JSON error not clean: %q", e.Message)
	}
	srv4, _ := stub(t, 200, `{"status":"APPROVED","autoDocument":`+enc("DOC"+escapes)+`,"fraudTags":[`+enc("TAG"+escapes)+`,"X"],"mismatchTags":`+enc("M"+escapes)+`}`)
	st, err := clientFor(t, srv4.URL, nil).Status(context.Background(), &providers.Launch{References: map[string]string{"scanRef": "s"}})
	if err != nil {
		t.Fatal(err)
	}
	if !clean(st.Detail) || st.State != providers.StateApproved {
		t.Errorf("detail %q", st.Detail)
	}
	for k, v := range st.Fields {
		if !clean(v) {
			t.Errorf("%s not clean: %q", k, v)
		}
	}
	if !strings.HasPrefix(st.Fields["fraudTags"], "TAGRED") || !strings.HasSuffix(st.Fields["fraudTags"], ", X") {
		t.Errorf("fraudTags %q", st.Fields["fraudTags"])
	}
}

func TestStatusMapping(t *testing.T) {
	cases := map[string]providers.State{
		"APPROVED": providers.StateApproved, "DENIED": providers.StateDenied, "SUSPECTED": providers.StateSuspected,
		"EXPIRED": providers.StateExpired, "EXPIRED-DELETED": providers.StateExpired, "DELETED": providers.StateExpired,
		"ACTIVE": providers.StatePending, "REVIEWING": providers.StatePending, "ARCHIVED": providers.StateExpired,
		"SOMETHING": providers.StateUnknown, "approved": providers.StateApproved,
	}
	for status, want := range cases {
		var got map[string]any
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != "/api/v2/status" {
				t.Errorf("%s %s", r.Method, r.URL.Path)
			}
			if _, p, _ := r.BasicAuth(); p != testSecret {
				t.Error("no basic auth")
			}
			_ = json.NewDecoder(r.Body).Decode(&got)
			_, _ = io.WriteString(w, `{"status":"`+status+`","scanRef":"s-1","clientId":"c","autoDocument":"DOC_VALIDATED",
"autoFace":"FACE_MATCH","manualDocument":null,"manualFace":null,"fraudTags":[],"mismatchTags":["NAME","SURNAME"]}`)
		}))
		st, err := clientFor(t, srv.URL, nil).Status(context.Background(), &providers.Launch{References: map[string]string{"scanRef": "s-1"}})
		srv.Close()
		if err != nil {
			t.Fatalf("%s: %v", status, err)
		}
		if got["scanRef"] != "s-1" || len(got) != 1 {
			t.Errorf("status body %v", got)
		}
		if st.State != want || !st.At.Equal(t0) {
			t.Errorf("%s → %s, want %s", status, st.State, want)
		}
		if st.Fields["autoDocument"] != "DOC_VALIDATED" || st.Fields["autoFace"] != "FACE_MATCH" ||
			st.Fields["mismatchTags"] != "NAME, SURNAME" || st.Fields["manualFace"] != "" {
			t.Errorf("fields %v", st.Fields)
		}
		if _, ok := st.Fields["fraudTags"]; ok {
			t.Error("empty fraudTags shown")
		}
		if !strings.Contains(st.Detail, status) {
			t.Errorf("detail %q", st.Detail)
		}
	}
}

func TestStatusErrors(t *testing.T) {
	c := clientFor(t, "http://127.0.0.1:1", nil)
	if _, err := c.Status(context.Background(), &providers.Launch{}); asErr(t, err).Kind != providers.KindInvalid {
		t.Error("no scanRef should be invalid")
	}
	srv, _ := stub(t, 200, `not json`)
	_, err := clientFor(t, srv.URL, nil).Status(context.Background(), &providers.Launch{References: map[string]string{"scanRef": "s"}})
	if e := asErr(t, err); e.Kind != providers.KindUnknown {
		t.Errorf("%+v", e)
	}
	srv2, _ := stub(t, 400, `{"identifier":"TOKEN_NOT_VALID","message":"no such scanRef"}`)
	_, err = clientFor(t, srv2.URL, nil).Status(context.Background(), &providers.Launch{References: map[string]string{"scanRef": "s"}})
	if e := asErr(t, err); e.Kind != providers.KindRejected || e.Code != "TOKEN_NOT_VALID" || !strings.Contains(e.Action, "does not know this session") {
		t.Errorf("%+v", e)
	}
	// The simulator's answer for a scanRef it does not hold (a sandbox
	// restarted): the action is about the session, not "correct the field
	// and launch again".
	srv3, _ := stub(t, 400, `{"identifier":"BAD_VALUE","message":"scanRef: No verification with this scanRef exists."}`)
	_, err = clientFor(t, srv3.URL, nil).Status(context.Background(), &providers.Launch{References: map[string]string{"scanRef": "s"}})
	if e := asErr(t, err); e.Code != "BAD_VALUE" || strings.Contains(e.Action, "launch again") || !strings.Contains(e.Action, "does not know this session") {
		t.Errorf("%+v", e)
	}
}

func TestDescriptor(t *testing.T) {
	d := Descriptor()
	if d.ID != "idenfy" || d.Name != "iDenfy" || d.LiveURL != "https://ivs.idenfy.com" || d.BaseURLEnv != "KYCDESK_IDENFY_URL" {
		t.Errorf("%+v", d)
	}
	if len(d.Credentials) != 2 || d.Credentials[0].Name != "apiKey" || d.Credentials[0].Env != "IDENFY_API_KEY" ||
		d.Credentials[0].Secret || d.Credentials[1].Name != "apiSecret" || d.Credentials[1].Env != "IDENFY_API_SECRET" ||
		!d.Credentials[1].Secret {
		t.Errorf("credentials %+v", d.Credentials)
	}
	if d.SandboxCredentials["apiKey"] != "kycdesk-sandbox-key" || d.SandboxCredentials["apiSecret"] != "kycdesk-sandbox-secret" {
		t.Errorf("sandbox credentials %v", d.SandboxCredentials)
	}
	if d.Spec == nil || d.New == nil || d.NewSimulator == nil || d.CustomerParam != "clientId" || d.Summary == "" {
		t.Error("descriptor incomplete")
	}
	if _, ok := d.Spec().Lookup(d.CustomerParam); !ok {
		t.Error("CustomerParam not in spec")
	}
}

// In the sandbox the session's webhook goes to the console's receiver
// (callbackUrl, iDenfy's per-session override); live, it is left to the
// account's webhook, and plain http is refused.
func TestCallbackURLFromReceiver(t *testing.T) {
	creds := map[string]string{"apiKey": "k", "apiSecret": "s"}
	target := &providers.CallbackTarget{BaseURL: "http://127.0.0.1:9/", Key: []byte("k")}
	sb, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1", Credentials: creds, Callback: target})
	v := sb.Prepare(providers.Values{"clientId": {"a"}})
	if got := v.Get("callbackUrl"); got != "http://127.0.0.1:9/callbacks/idenfy" {
		t.Fatalf("sandbox callbackUrl = %q", got)
	}
	if errs := sb.Validate(v); len(errs) != 0 {
		t.Errorf("sandbox refuses its receiver: %v", errs)
	}
	own := sb.Prepare(providers.Values{"clientId": {"a"}, "callbackUrl": {"https://hooks.example.com/x"}})
	if own.Get("callbackUrl") != "https://hooks.example.com/x" {
		t.Errorf("the operator's callbackUrl was replaced: %q", own.Get("callbackUrl"))
	}
	live, _ := New(providers.Config{Mode: providers.ModeLive, Credentials: creds, Callback: target})
	if got := live.Prepare(providers.Values{"clientId": {"a"}}).Get("callbackUrl"); got != "" {
		t.Errorf("live callbackUrl = %q, want the account's webhook (none set per session)", got)
	}
	errs := live.Validate(providers.Values{"clientId": {"a"}, "callbackUrl": {"http://127.0.0.1:9/callbacks/idenfy"}})
	if len(errs) != 1 || errs[0].Field != "callbackUrl" || !strings.Contains(errs[0].Message, "https") {
		t.Errorf("live plain http callbackUrl: %v", errs)
	}
}
