package idenfy

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
)

type simEnv struct {
	srv    *httptest.Server
	sim    *simulator
	clock  *clocktest.Clock
	client providers.Client
	mu     sync.Mutex
	logs   []string
}

func newSimEnv(t *testing.T, creds map[string]string) *simEnv {
	t.Helper()
	env := &simEnv{clock: clocktest.New(t0)}
	mux := http.NewServeMux()
	env.srv = httptest.NewServer(mux)
	t.Cleanup(env.srv.Close)
	env.sim = NewSimulator(providers.SimOptions{
		PublicURL:   env.srv.URL + "/",
		Credentials: creds,
		Now:         env.clock.Now,
		Logf: func(format string, a ...any) {
			env.mu.Lock()
			env.logs = append(env.logs, fmt.Sprintf(format, a...))
			env.mu.Unlock()
		},
	}).(*simulator)
	env.sim.Register(mux)
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: env.srv.URL, HTTP: env.srv.Client(),
		Credentials: map[string]string{"apiKey": SandboxAPIKey, "apiSecret": SandboxAPISecret}, Now: env.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	env.client = c
	return env
}

func (env *simEnv) launch(t *testing.T, v providers.Values) *providers.Launch {
	t.Helper()
	l, err := env.client.Launch(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (env *simEnv) status(t *testing.T, l *providers.Launch) *providers.Status {
	t.Helper()
	st, err := env.client.Status(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// get fetches a URL and returns status and body.
func (env *simEnv) get(t *testing.T, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := env.srv.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// act presses one of the page's buttons.
func (env *simEnv) act(t *testing.T, action, token string) (int, string) {
	t.Helper()
	resp, err := env.srv.Client().PostForm(env.srv.URL+"/api/v2/redirect/"+action, url.Values{"authToken": {token}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends a raw API request.
func (env *simEnv) post(t *testing.T, path, body, user, pass string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, env.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := env.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %q", b)
	}
	return resp.StatusCode, m
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSimLaunchStatusApprove(t *testing.T) {
	env := newSimEnv(t, nil)
	l := env.launch(t, providers.Values{"clientId": {"desk-1"}, "documents": {"PASSPORT"}, "country": {"LT"},
		"expiryTime": {"600"}, "generateDigitString": {"true"}})
	tok, scan := l.References["authToken"], l.References["scanRef"]
	if len(tok) == 0 || len(tok) > 40 || !uuidRe.MatchString(scan) {
		t.Errorf("authToken %q scanRef %q", tok, scan)
	}
	if want := env.srv.URL + "/api/v2/redirect?authToken=" + url.QueryEscape(tok); l.URL != want {
		t.Errorf("URL %s, want %s", l.URL, want)
	}
	if !regexp.MustCompile(`^[0-9]{8}$`).MatchString(l.Extra["digitString"]) {
		t.Errorf("digitString %q", l.Extra["digitString"])
	}
	if !l.ExpiresAt.Equal(t0.Add(600*time.Second)) || l.Customer != "desk-1" {
		t.Errorf("expires %v customer %q", l.ExpiresAt, l.Customer)
	}
	if st := env.status(t, l); st.State != providers.StatePending || !strings.Contains(st.Detail, "ACTIVE") {
		t.Errorf("before the customer acts: %+v", st)
	}
	code, page, hdr := env.get(t, l.URL)
	if code != 200 || !strings.Contains(page, "passport") || !strings.Contains(page, "Lithuania (LT)") ||
		!strings.Contains(page, "selfie") {
		t.Fatalf("page %d:\n%s", code, page)
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Error("no CSP")
	}
	if st := env.status(t, l); st.State != providers.StatePending {
		t.Errorf("after visit: %+v", st)
	}
	if code, body := env.act(t, ActionApprove, tok); code != 200 || !strings.Contains(body, "APPROVED") {
		t.Fatalf("approve %d: %s", code, body)
	}
	st := env.status(t, l)
	if st.State != providers.StateApproved || st.Fields["autoDocument"] != "DOC_VALIDATED" || st.Fields["autoFace"] != "FACE_MATCH" {
		t.Errorf("after approve: %+v", st)
	}
	// The link cannot be used again.
	if code, body, _ := env.get(t, l.URL); code != http.StatusGone || !strings.Contains(body, "already been completed") {
		t.Errorf("revisit %d: %s", code, body)
	}
	if code, _ := env.act(t, ActionDeny, tok); code != http.StatusGone {
		t.Errorf("second decision answered %d", code)
	}
	if st := env.status(t, l); st.State != providers.StateApproved {
		t.Errorf("decision changed: %+v", st)
	}
}

func TestSimOutcomes(t *testing.T) {
	cases := []struct {
		action, tokenType string
		extra             providers.Values
		state             providers.State
		doc, face         string
		fraud, mismatch   string
	}{
		{ActionApprove, "DOCUMENT", nil, providers.StateApproved, "DOC_VALIDATED", "FACE_NOT_CHECKED", "", ""},
		{ActionDeny, "IDENTIFICATION", nil, providers.StateDenied, "DOC_VALIDATED", "FACE_MISMATCH", "", ""},
		{ActionDeny, "DOCUMENT", nil, providers.StateDenied, "DOC_EXPIRED", "FACE_NOT_CHECKED", "", ""},
		{ActionSuspect, "IDENTIFICATION", providers.Values{"firstName": {"John"}, "dateOfBirth": {"1990-12-20"}},
			providers.StateSuspected, "DOC_VALIDATED", "FACE_MATCH", "", "NAME, DATE_OF_BIRTH"},
		{ActionSuspect, "IDENTIFICATION", nil, providers.StateSuspected, "DOC_VALIDATED", "FACE_MATCH", "FACE_SUSPECTED", ""},
		{ActionAbandon, "IDENTIFICATION", nil, providers.StateExpired, "", "", "", ""},
	}
	env := newSimEnv(t, nil)
	for _, tc := range cases {
		t.Run(tc.action+"/"+tc.tokenType, func(t *testing.T) {
			v := providers.Values{"clientId": {"c-" + tc.action}, "tokenType": {tc.tokenType}}
			for k, x := range tc.extra {
				v[k] = x
			}
			l := env.launch(t, v)
			if code, _ := env.act(t, tc.action, l.References["authToken"]); code != 200 {
				t.Fatalf("%s answered %d", tc.action, code)
			}
			st := env.status(t, l)
			if st.State != tc.state || st.Fields["autoDocument"] != tc.doc || st.Fields["autoFace"] != tc.face ||
				st.Fields["fraudTags"] != tc.fraud || st.Fields["mismatchTags"] != tc.mismatch {
				t.Errorf("%+v", st)
			}
		})
	}
}

func TestSimPage(t *testing.T) {
	env := newSimEnv(t, nil)
	l := env.launch(t, providers.Values{"clientId": {`<script>alert("x")</script>`}, "tokenType": {"DOCUMENT"},
		"documents": {"ID_CARD", "DRIVER_LICENSE", "PASSPORT"}, "locale": {"de"}, "successUrl": {"https://shop.example/ok"}})
	code, page, _ := env.get(t, l.URL)
	if code != 200 {
		t.Fatalf("%d %s", code, page)
	}
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;") {
		t.Error("clientId not escaped")
	}
	if strings.Contains(page, "selfie") {
		t.Error("DOCUMENT tokens ask for no selfie")
	}
	for _, want := range []string{"ID card, driver&#39;s license or passport", "German", `name="viewport"`,
		`action="redirect/approve"`, `action="redirect/deny"`, `action="redirect/suspect"`,
		`action="redirect/abandon"`, "Leave suspected", "Abandon", l.References["authToken"], "iDenfy"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"src=", "http://", "https://", "<link", "<script"} {
		if strings.Contains(page, bad) {
			t.Errorf("page has an external resource or script: %q", bad)
		}
	}
	// Press Approve as a browser would: resolve the form's action against the page URL.
	action := regexp.MustCompile(`action="(redirect/approve)"`).FindStringSubmatch(page)
	pageURL, _ := url.Parse(l.URL)
	target := pageURL.ResolveReference(&url.URL{Path: action[1]})
	resp, err := env.srv.Client().PostForm(target.String(), url.Values{"authToken": {l.References["authToken"]}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if done := string(b); resp.StatusCode != 200 || !strings.Contains(done, `href="https://shop.example/ok"`) {
		t.Errorf("done page %d (%s):\n%s", resp.StatusCode, target, done)
	}
	if st := env.status(t, l); st.State != providers.StateApproved {
		t.Errorf("after the page's form: %+v", st)
	}

	if code, body, _ := env.get(t, env.srv.URL+"/api/v2/redirect?authToken=nope"); code != 400 || !strings.Contains(body, "not valid") {
		t.Errorf("unknown token %d", code)
	}
	if code, _, _ := env.get(t, env.srv.URL+"/api/v2/redirect"); code != 400 {
		t.Errorf("no token %d", code)
	}
	l2 := env.launch(t, providers.Values{"clientId": {"c2"}})
	if code, _ := env.act(t, "explode", l2.References["authToken"]); code != 404 {
		t.Errorf("unknown action %d", code)
	}
	if code, _ := env.act(t, ActionApprove, "nope"); code != 400 {
		t.Errorf("action with unknown token %d", code)
	}
	// A javascript: successUrl is refused by the simulator's URL rule.
	status, m := env.post(t, TokenPath, `{"clientId":"c","successUrl":"javascript:alert(1)"}`, SandboxAPIKey, SandboxAPISecret)
	if status != 400 || m["identifier"] != "BAD_VALUE" {
		t.Errorf("javascript: URL %d %v", status, m)
	}
}

func TestSimExpiry(t *testing.T) {
	env := newSimEnv(t, nil)
	// Never opened: EXPIRED once expiryTime has passed.
	l := env.launch(t, providers.Values{"clientId": {"c1"}, "expiryTime": {"100"}, "sessionLength": {"600"}})
	env.clock.Advance(99 * time.Second)
	if st := env.status(t, l); st.State != providers.StatePending {
		t.Fatalf("before expiry: %+v", st)
	}
	env.clock.Advance(time.Second)
	if st := env.status(t, l); st.State != providers.StateExpired || !strings.Contains(st.Detail, "EXPIRED") {
		t.Fatalf("after expiry: %+v", st)
	}
	if code, body, _ := env.get(t, l.URL); code != http.StatusGone || !strings.Contains(body, "expired") {
		t.Errorf("expired page %d", code)
	}

	// Opened before expiry: sessionLength counts from the first visit (a
	// HEAD from a link previewer does not start it).
	l = env.launch(t, providers.Values{"clientId": {"c2"}, "expiryTime": {"100"}, "sessionLength": {"600"}})
	if resp, err := env.srv.Client().Head(l.URL); err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	if sess, _ := env.sim.sessionByScanRef(l.References["scanRef"]); sess.opened != 0 {
		t.Error("HEAD started the session")
	}
	env.clock.Advance(50 * time.Second)
	if code, _, _ := env.get(t, l.URL); code != 200 {
		t.Fatal("first visit refused")
	}
	env.clock.Advance(200 * time.Second) // past the token's lifetime, inside the session
	if code, _, _ := env.get(t, l.URL); code != 200 {
		t.Error("the session should outlive the token once opened")
	}
	env.clock.Advance(399 * time.Second) // 649 s after creation, 599 s after the visit
	if st := env.status(t, l); st.State != providers.StatePending {
		t.Errorf("inside the session: %+v", st)
	}
	env.clock.Advance(time.Second)
	if code, _ := env.act(t, ActionApprove, l.References["authToken"]); code != http.StatusGone {
		t.Errorf("decision after the session ended answered %d", code)
	}
	if st := env.status(t, l); st.State != providers.StateExpired {
		t.Errorf("after the session: %+v", st)
	}

	// Defaults: expiryTime 86400 when not sent.
	l = env.launch(t, providers.Values{"clientId": {"c3"}})
	if !l.ExpiresAt.Equal(env.clock.Now().Add(86400 * time.Second)) {
		t.Errorf("default expiry %v", l.ExpiresAt)
	}
	env.clock.Advance(86400 * time.Second)
	if st := env.status(t, l); st.State != providers.StateExpired {
		t.Errorf("default expiry not honoured: %+v", st)
	}
}

func TestSimAuth(t *testing.T) {
	env := newSimEnv(t, nil)
	for _, creds := range [][2]string{{SandboxAPIKey, "wrong"}, {"wrong", SandboxAPISecret}, {"", ""}} {
		status, m := env.post(t, TokenPath, `{"clientId":"c"}`, creds[0], creds[1])
		if status != 401 || m["message"] != "Invalid authorization credentials" || m["identifier"] != nil {
			t.Errorf("%v: %d %v", creds, status, m)
		}
		status, _ = env.post(t, StatusPath, `{"scanRef":"x"}`, creds[0], creds[1])
		if status != 401 {
			t.Errorf("status endpoint without auth: %d", status)
		}
	}
	bad, _ := New(providers.Config{BaseURL: env.srv.URL, Credentials: map[string]string{"apiKey": SandboxAPIKey, "apiSecret": "nope"}})
	_, err := bad.Launch(context.Background(), providers.Values{"clientId": {"c"}})
	if e := asErr(t, err); e.Code != "HTTP_401" || !strings.Contains(e.Action, "IDENFY_API_SECRET") {
		t.Errorf("%+v", e)
	}

	// Configured credentials replace the sandbox ones.
	custom := newSimEnv(t, map[string]string{"apiKey": "live-key", "apiSecret": "live-secret"})
	if status, _ := custom.post(t, TokenPath, `{"clientId":"c"}`, SandboxAPIKey, SandboxAPISecret); status != 401 {
		t.Errorf("sandbox credentials accepted by a custom simulator: %d", status)
	}
	if status, m := custom.post(t, TokenPath, `{"clientId":"c"}`, "live-key", "live-secret"); status != 201 {
		t.Errorf("custom credentials refused: %d %v", status, m)
	}
	for _, line := range append(env.logs, custom.logs...) {
		if strings.Contains(line, SandboxAPISecret) || strings.Contains(line, "live-secret") || strings.Contains(line, "nope") {
			t.Errorf("secret in log: %q", line)
		}
	}
}

func TestSimValidation(t *testing.T) {
	env := newSimEnv(t, nil)
	cases := []struct {
		body, identifier, field string
		status                  int
	}{
		{`{"clientId":`, "JSON_ERROR", "", 400},
		{`["clientId"]`, "JSON_ERROR", "", 400},
		{`{"clientId":"a"} {"x":1}`, "JSON_ERROR", "", 400},
		{`{}`, "MISSING_VALUE", "clientId", 400},
		{`{"clientId":null}`, "MISSING_VALUE", "clientId", 400},
		{`{"clientId":5}`, "BAD_VALUE", "clientId", 400},
		{`{"clientId":""}`, "BAD_VALUE", "clientId", 400},
		{`{"clientId":"` + strings.Repeat("a", 101) + `"}`, "BAD_VALUE", "clientId", 400},
		{`{"clientId":"ąčę"}`, "BAD_VALUE", "clientId", 400},
		{`{"clientId":"a","firstName":"J0hn"}`, "BAD_VALUE", "firstName", 400},
		{`{"clientId":"a","lastName":"Sm|th"}`, "BAD_VALUE", "lastName", 400},
		{`{"clientId":"a","expiryTime":"600"}`, "BAD_VALUE", "expiryTime", 400},
		{`{"clientId":"a","expiryTime":2592001}`, "BAD_VALUE", "expiryTime", 400},
		{`{"clientId":"a","expiryTime":1.5}`, "BAD_VALUE", "expiryTime", 400},
		{`{"clientId":"a","sessionLength":59}`, "BAD_VALUE", "sessionLength", 400},
		{`{"clientId":"a","sessionLength":3601}`, "BAD_VALUE", "sessionLength", 400},
		{`{"clientId":"a","showInstructions":"true"}`, "BAD_VALUE", "showInstructions", 400},
		{`{"clientId":"a","documents":"PASSPORT"}`, "BAD_VALUE", "documents", 400},
		{`{"clientId":"a","documents":["SELFIE"]}`, "BAD_VALUE", "documents", 400},
		{`{"clientId":"a","country":"XX"}`, "BAD_VALUE", "country", 400},
		{`{"clientId":"a","nationality":"LTU"}`, "BAD_VALUE", "nationality", 400},
		{`{"clientId":"a","dateOfBirth":"1990-02-30"}`, "BAD_VALUE", "dateOfBirth", 400},
		{`{"clientId":"a","sex":"X"}`, "BAD_VALUE", "sex", 400},
		{`{"clientId":"a","tokenType":"SELFIE"}`, "BAD_VALUE", "tokenType", 400},
		{`{"clientId":"a","externalRef":"` + strings.Repeat("r", 41) + `"}`, "BAD_VALUE", "externalRef", 400},
		{`{"clientId":"a","address":"` + strings.Repeat("r", 256) + `"}`, "BAD_VALUE", "address", 400},
		{`{"clientId":"a","callbackUrl":"http://hook.example/x"}`, "BAD_VALUE", "callbackUrl", 400},
		{`{"clientId":"a","additionalSteps":"{}"}`, "BAD_VALUE", "additionalSteps", 400},
		{`{"clientId":"a","utilityBill":true,"additionalSteps":{"ALL":{}}}`, "BAD_VALUE", "utilityBill", 400},
		{`{"clientId":"a","additionalData":{"x":1}}`, "BAD_VALUE", "additionalData", 400},
		{`{"clientId":"a","generateDigitString":true,"expiryTime":100000}`, "BAD_VALUE", "expiryTime", 400},
		{`{"clientId":"a","riskAssessmentProfile":"p1"}`, "BAD_VALUE", "riskAssessmentProfile", 400},
		{`{"clientId":"a","ageLimit":-1}`, "BAD_VALUE", "ageLimit", 400},
		{`{"clientId":"a","fraudServices":["PEP"]}`, "BAD_VALUE", "fraudServices", 400},
		{`{"clientId":"a","levenshteinMrzMatchRatio":1.5}`, "BAD_VALUE", "levenshteinMrzMatchRatio", 400},
		{`{"clientId":"a","detectionTypes":["NOSE"]}`, "BAD_VALUE", "detectionTypes", 400},
		{`{"clientId":"a","locale":"toolongx"}`, "BAD_VALUE", "locale", 400},
		// Accepted: the bounds of both seeds, nulls, unknown fields, the legacy alias.
		{`{"clientId":"a","sessionLength":60}`, "", "", 201},
		{`{"clientId":"a","sessionLength":3600,"expiryTime":2592000}`, "", "", 201},
		{`{"clientId":"a","firstName":null,"additionalSteps":null,"additionalData":null}`, "", "", 201},
		{`{"clientId":"a","checkAml":true,"theme":null}`, "", "", 201},
		{`{"personScanRef":"legacy"}`, "", "", 201},
		{`{"clientId":"a","locale":"ko","nationality":"ALL","tokenType":"VIDEO_CALL"}`, "", "", 201},
		// The sandbox's one relaxation: a webhook to a loopback receiver.
		{`{"clientId":"a","callbackUrl":"http://127.0.0.1:9/callbacks/idenfy"}`, "", "", 201},
	}
	for _, tc := range cases {
		status, m := env.post(t, TokenPath, tc.body, SandboxAPIKey, SandboxAPISecret)
		if status != tc.status {
			t.Errorf("%s: status %d, want %d (%v)", tc.body, status, tc.status, m)
			continue
		}
		if tc.status != 201 {
			msg, _ := m["message"].(string)
			if m["identifier"] != tc.identifier || msg == "" || (tc.field != "" && !strings.HasPrefix(msg, tc.field+":")) {
				t.Errorf("%s: %v", tc.body, m)
			}
		}
	}
	// Non-UTF-8 and a wrong Content-Type.
	req, _ := http.NewRequest(http.MethodPost, env.srv.URL+TokenPath, strings.NewReader("{\"clientId\":\"\xff\"}"))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(SandboxAPIKey, SandboxAPISecret)
	if resp, err := env.srv.Client().Do(req); err != nil || resp.StatusCode != 400 {
		t.Errorf("non-UTF-8: %v %v", resp, err)
	} else {
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if m["identifier"] != "ENCODING_ERROR" {
			t.Errorf("non-UTF-8: %v", m)
		}
	}
	req, _ = http.NewRequest(http.MethodPost, env.srv.URL+TokenPath, strings.NewReader(`{"clientId":"a"}`))
	req.Header.Set("Content-Type", "text/plain")
	req.SetBasicAuth(SandboxAPIKey, SandboxAPISecret)
	if resp, err := env.srv.Client().Do(req); err != nil || resp.StatusCode != 400 {
		t.Errorf("text/plain: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// The client sees the simulator's refusal as a typed error naming the field.
	_, err := env.client.Launch(context.Background(), providers.Values{"clientId": {"a"}, "generateDigitString": {"true"}, "expiryTime": {"100000"}})
	if e := asErr(t, err); e.Kind != providers.KindRejected || e.Code != "BAD_VALUE" || e.Field != "expiryTime" {
		t.Errorf("%+v", e)
	}
}

func TestSimEchoesWithDefaults(t *testing.T) {
	env := newSimEnv(t, nil)
	status, m := env.post(t, TokenPath, `{"clientId":"100000","firstName":"John Tom","nationality":"lt","checkLiveness":true}`,
		SandboxAPIKey, SandboxAPISecret)
	if status != 201 {
		t.Fatalf("%d %v", status, m)
	}
	want := map[string]any{"message": "Token created successfully", "clientId": "100000", "personScanRef": "100000",
		"firstName": "JOHN TOM", "nationality": "LT", "locale": "en", "showInstructions": true, "expiryTime": float64(86400),
		"sessionLength": float64(1800), "tokenType": "IDENTIFICATION", "utilityBill": false, "digitString": nil,
		"lastName": nil, "successUrl": nil, "additionalSteps": nil, "checkLiveness": true}
	for k, v := range want {
		if fmt.Sprint(m[k]) != fmt.Sprint(v) {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if docs := fmt.Sprint(m["documents"]); docs != "[ID_CARD PASSPORT]" {
		t.Errorf("documents %s", docs)
	}
	if !strings.HasPrefix(m["redirectUrl"].(string), env.srv.URL+"/api/v2/redirect?authToken=") {
		t.Errorf("redirectUrl %v", m["redirectUrl"])
	}
	status, m = env.post(t, StatusPath, `{"scanRef":"`+m["scanRef"].(string)+`"}`, SandboxAPIKey, SandboxAPISecret)
	if status != 200 || m["status"] != "ACTIVE" || m["clientId"] != "100000" || m["autoDocument"] != nil ||
		fmt.Sprint(m["fraudTags"]) != "[]" || fmt.Sprint(m["mismatchTags"]) != "[]" {
		t.Errorf("status shape: %d %v", status, m)
	}
	for _, k := range []string{"scanRef", "autoFace", "manualDocument", "manualFace"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status lacks %s", k)
		}
	}
	if status, m := env.post(t, StatusPath, `{}`, SandboxAPIKey, SandboxAPISecret); status != 400 || m["identifier"] != "MISSING_VALUE" {
		t.Errorf("no scanRef: %d %v", status, m)
	}
	if status, m := env.post(t, StatusPath, `{"scanRef":"nope"}`, SandboxAPIKey, SandboxAPISecret); status != 400 || m["identifier"] != "BAD_VALUE" {
		t.Errorf("unknown scanRef: %d %v", status, m)
	}
	if status, m := env.post(t, StatusPath, `{"scanRef":`, SandboxAPIKey, SandboxAPISecret); status != 400 || m["identifier"] != "JSON_ERROR" {
		t.Errorf("bad JSON: %d %v", status, m)
	}
}

// TestSimAcceptsEveryValidField is the contract between the spec and the
// simulator: a request with every field set to a value the client accepts
// is accepted by the simulator, whose rules are written separately.
func TestSimAcceptsEveryValidField(t *testing.T) {
	env := newSimEnv(t, nil)
	v := providers.Values{}
	for _, p := range Spec() {
		switch {
		case p.Kind == providers.KindBool:
			v.Set(p.Name, "true")
		case p.IsList():
			for _, o := range p.Options {
				v.Add(p.Name, o.Value)
			}
		case p.Kind == providers.KindEnum:
			v.Set(p.Name, p.Options[len(p.Options)-1].Value)
		case p.Placeholder != "":
			v.Set(p.Name, p.Placeholder)
		case p.Kind == providers.KindCountry:
			v.Set(p.Name, "LT")
		}
	}
	v.Set("utilityBill", "false") // cannot be combined with additionalSteps
	v.Set("generateDigitString", "true")
	v.Set("expiryTime", "3600")
	v.Set("tokenType", "IDENTIFICATION")
	if refusals, _ := providers.Problems(env.client.Validate(v)); len(refusals) > 0 {
		t.Fatalf("the spec refuses its own placeholders: %v", refusals)
	}
	for _, p := range Spec() {
		if !v.Has(p.Name) {
			t.Errorf("%s not set by the test", p.Name)
		}
	}
	l := env.launch(t, v)
	if l.Extra["digitString"] == "" {
		t.Error("no digit string")
	}
	// Newer docs: any locale of up to 7 characters (a warning, not a
	// refusal, in the client), and expiryTime 0.
	for _, extra := range []providers.Values{{"locale": {"ko"}}, {"locale": {"pt-BR"}}, {"expiryTime": {"0"}}} {
		v := providers.Values{"clientId": {"c"}}
		for k, x := range extra {
			v[k] = x
		}
		refusals, warnings := providers.Problems(env.client.Validate(v))
		if len(refusals) > 0 || len(warnings) != 1 {
			t.Errorf("%v: refusals %v warnings %v", extra, refusals, warnings)
		}
		if _, err := env.client.Launch(context.Background(), v); err != nil {
			t.Errorf("%v: %v", extra, err)
		}
	}
	// Each enum value of the spec is accepted one by one.
	for _, name := range []string{"locale", "tokenType", "sex"} {
		p, _ := Spec().Lookup(name)
		for _, o := range p.Options {
			if _, err := env.client.Launch(context.Background(), providers.Values{"clientId": {"c"}, name: {o.Value}}); err != nil {
				t.Errorf("%s=%s: %v", name, o.Value, err)
			}
		}
	}
}

func TestSimConcurrent(t *testing.T) {
	env := newSimEnv(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l, err := env.client.Launch(context.Background(), providers.Values{"clientId": {fmt.Sprintf("c-%d", i)}})
			if err != nil {
				errs <- err
				return
			}
			resp, err := env.srv.Client().PostForm(env.srv.URL+"/api/v2/redirect/"+ActionApprove, url.Values{"authToken": {l.References["authToken"]}})
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			st, err := env.client.Status(context.Background(), l)
			if err != nil {
				errs <- err
				return
			}
			if st.State != providers.StateApproved {
				errs <- fmt.Errorf("c-%d: %s", i, st.State)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := env.sim.byScan.Len(); got != 16 {
		t.Errorf("%d sessions", got)
	}
	if _, err := env.sim.sessionByScanRef("nope"); err == nil {
		t.Error("unknown scanRef found")
	}
}

// TestTokenIssuedLine: the line a new token logs reads as it always has
// (it is now formatted only when written).
func TestTokenIssuedLine(t *testing.T) {
	env := newSimEnv(t, nil)
	status, m := env.post(t, TokenPath, `{"clientId":"desk \"7\"","tokenType":"DOCUMENT","expiryTime":600}`, SandboxAPIKey, SandboxAPISecret)
	if status != http.StatusCreated {
		t.Fatalf("token: %d %v", status, m)
	}
	want := fmt.Sprintf("idenfy: token issued: scanRef=%s clientId=%q tokenType=DOCUMENT expires in 10m0s", m["scanRef"], `desk "7"`)
	env.mu.Lock()
	defer env.mu.Unlock()
	if len(env.logs) != 1 || env.logs[0] != want {
		t.Errorf("log = %q, want [%q]", env.logs, want)
	}
}

// TestTokenRequestToSession: what a token request sets in the session it
// issues, field by field (the handler reads the request in one pass).
func TestTokenRequestToSession(t *testing.T) {
	env := newSimEnv(t, nil)
	for _, c := range []struct {
		body string
		want string
	}{
		{`{"clientId":"c"}`,
			`IDENTIFICATION en "" true [ID_CARD PASSPORT] 24h0m0s 30m0s false false <nil>`},
		{`{"personScanRef":"p","tokenType":"DOCUMENT","locale":"de","country":"lt","showInstructions":false,"documents":["PASSPORT","VISA"],` +
			`"expiryTime":600,"sessionLength":300,"reviewSuccessful":true,"reviewFailed":false}`,
			`DOCUMENT de "LT" false [PASSPORT VISA] 10m0s 5m0s true false <nil>`},
		{`{"clientId":"c","expiryTime":0,"documents":[],"dateOfBirth":"1990-01-02","lastName":"L","firstName":"F","reviewFailed":true,` +
			`"successUrl":"https://s.test/","errorUrl":"https://e.test/","unverifiedUrl":"https://u.test/","callbackUrl":"https://c.test/","externalRef":"x"}`,
			`IDENTIFICATION en "" true [ID_CARD PASSPORT] 24h0m0s 30m0s false true {[NAME SURNAME DATE_OF_BIRTH] https://s.test/ https://e.test/ https://u.test/ https://c.test/ x}`},
		{`{"clientId":"c","firstName":null,"lastName":"L","generateDigitString":true,"externalRef":null,"tokenType":null,"locale":null}`,
			`IDENTIFICATION en "" true [ID_CARD PASSPORT] 24h0m0s 30m0s false false {8 [SURNAME]     }`},
	} {
		status, m := env.post(t, TokenPath, c.body, SandboxAPIKey, SandboxAPISecret)
		if status != http.StatusCreated {
			t.Fatalf("%s: %d %v", c.body, status, m)
		}
		s, err := env.sim.sessionByScanRef(m["scanRef"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var opt any = nil
		if s.opt != nil {
			o := *s.opt
			if o.digitString != "" {
				o.digitString = fmt.Sprint(len(o.digitString)) // random: its length
			}
			opt = fmt.Sprintf("{%s %v %s %s %s %s %s}", o.digitString, o.prefilled, o.successURL, o.errorURL, o.unverifiedURL, o.callbackURL, o.externalRef)
			opt = strings.Replace(opt.(string), "{ ", "{", 1)
		}
		got := fmt.Sprintf("%s %s %q %v %v %v %v %v %v %v", s.tokenType, s.locale, s.country, s.showInstructions, s.documents,
			s.expiry, s.sessionLength, s.reviewSuccessful, s.reviewFailed, opt)
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.body, got, c.want)
		}
		if s.clientID != m["clientId"] || s.status != simActive || !s.createdAt().Equal(env.clock.Now()) {
			t.Errorf("%s: clientId %q status %s created %v", c.body, s.clientID, s.status, s.createdAt())
		}
	}
}

// Sessions whose request chose no settings share the defaults, which a
// request that chose some leaves as they were; a waiting session stays
// small (it is most of what a busy sandbox keeps).
func TestSessionsShareDefaultSettings(t *testing.T) {
	env := newSimEnv(t, nil)
	want := fmt.Sprint(*simDefaultSettings)
	for _, c := range []struct {
		body   string
		shared bool
	}{
		{`{"clientId":"a"}`, true},
		{`{"clientId":"b","locale":"de","documents":["VISA"],"expiryTime":60,"country":"lt"}`, false},
		{`{"clientId":"c","tokenType":"DOCUMENT","showInstructions":false,"sessionLength":120}`, false},
		{`{"clientId":"d","successUrl":"https://s.test/","expiryTime":0,"documents":[],"locale":null}`, true},
	} {
		status, m := env.post(t, TokenPath, c.body, SandboxAPIKey, SandboxAPISecret)
		if status != http.StatusCreated {
			t.Fatalf("%s: %d %v", c.body, status, m)
		}
		s, _ := env.sim.sessionByScanRef(m["scanRef"].(string))
		if shared := s.simSettings == simDefaultSettings; shared != c.shared {
			t.Errorf("%s: shares the defaults: %v, want %v", c.body, shared, c.shared)
		}
	}
	if got := fmt.Sprint(*simDefaultSettings); got != want || &simDefaultSettings.documents[0] != &simDefaultDocuments[0] {
		t.Errorf("the defaults changed: %s, were %s", got, want)
	}
	if n := unsafe.Sizeof(simSession{}); n > 112 {
		t.Errorf("a session is %d bytes, was 112", n)
	}
}
