package alibaba

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
)

func newClock() *clocktest.Clock {
	return clocktest.New(time.Date(2026, 11, 21, 23, 16, 6, 0, time.UTC))
}

// sandbox starts the simulator behind httptest and a client pointed at it.
func sandbox(t *testing.T, clk *clocktest.Clock) (*Client, *Simulator, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sim := NewSimulator(providers.SimOptions{PublicURL: srv.URL, Now: clk.Now})
	sim.Register(mux)
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, HTTP: srv.Client(), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c, sim, srv
}

var tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

// customer opens the TransactionUrl and presses a button.
func customer(t *testing.T, srv *httptest.Server, pageURL, action string) {
	t.Helper()
	resp, err := srv.Client().Get(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("page: %d %s", resp.StatusCode, body)
	}
	m := tokenRE.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no token in page:\n%s", body)
	}
	resp, err = srv.Client().PostForm(pageURL, url.Values{"action": {action}, "token": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("action %s: %d %s", action, resp.StatusCode, body)
	}
}

func TestLaunchApproveAgainstSimulator(t *testing.T) {
	clk := newClock()
	c, _, srv := sandbox(t, clk)
	v := validValues()
	v.Set("MerchantUserId", "alice@example.com")
	v.Set("DocType", "000000012") // the seed's 9-digit spelling
	v.Set("ShowBlbumIcon", "0")   // the seed's spelling
	pv := c.Prepare(v)
	l, err := c.Launch(t.Context(), pv)
	if err != nil {
		t.Fatal(err)
	}
	if l.Provider != "alibaba" || !l.SingleUse || l.ExpiresAt != clk.Now().Add(30*time.Minute) {
		t.Fatalf("launch = %+v", l)
	}
	tx := l.References["TransactionId"]
	if len(tx) != 32 || l.References["MerchantBizId"] != pv.Get("MerchantBizId") {
		t.Fatalf("references = %v", l.References)
	}
	if l.URL != srv.URL+"/sandbox/alibaba/verify/"+tx {
		t.Fatalf("URL = %s", l.URL)
	}
	if l.Customer != c.wireUserID(providers.Values{"MerchantUserId": {"alice@example.com"}}) || len(l.Customer) != 64 {
		t.Fatalf("Customer = %q", l.Customer)
	}
	if l.Extra["Protocol"] == "" || l.Extra["RequestId"] == "" {
		t.Fatalf("Extra = %v", l.Extra)
	}
	if len(l.Notes) == 0 || l.Notes[0] != "the URL works once and for 30 minutes" {
		t.Fatalf("Notes = %v", l.Notes)
	}

	st, err := c.Status(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != providers.StatePending || !strings.Contains(st.Detail, "ProcessNotCompleted") {
		t.Fatalf("before the customer: %+v", st)
	}

	customer(t, srv, l.URL, "approve")
	st, err = c.Status(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != providers.StateApproved || st.Fields["SubCode"] != "200" || st.Fields["Passed"] != "Y" {
		t.Fatalf("approved: %+v", st)
	}
	if !strings.Contains(st.Fields["ExtFaceInfo"], "facePassed: Y") || !strings.Contains(st.Fields["ExtIdInfo"], "ocrIdInfo.docType: 00000012") {
		t.Fatalf("fields: %q", st.Fields)
	}
	if !st.At.Equal(clk.Now()) {
		t.Fatalf("At = %v", st.At)
	}

	// The URL worked once.
	resp, err := srv.Client().Get(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "used only once") {
		t.Fatalf("second visit: %d %s", resp.StatusCode, body)
	}
}

func TestLaunchDenyAndAbandon(t *testing.T) {
	clk := newClock()
	c, _, srv := sandbox(t, clk)
	l, err := c.Launch(t.Context(), validValues())
	if err != nil {
		t.Fatal(err)
	}
	customer(t, srv, l.URL, "deny")
	st, err := c.Status(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != providers.StateDenied || st.Fields["SubCode"] != "206" || !strings.Contains(st.Detail, "Device Guard") {
		t.Fatalf("denied: %+v", st)
	}

	l2, err := c.Launch(t.Context(), validValues())
	if err != nil {
		t.Fatal(err)
	}
	customer(t, srv, l2.URL, "abandon")
	st, err = c.Status(t.Context(), l2)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != providers.StateUnknown || !strings.Contains(st.Detail, "30 minutes") || st.Fields["Code"] != "TransactionIdInvalid" {
		t.Fatalf("abandoned: %+v", st)
	}
}

func TestSessionExpiresAfter30Minutes(t *testing.T) {
	clk := newClock()
	c, _, srv := sandbox(t, clk)
	l, err := c.Launch(t.Context(), validValues())
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(30*time.Minute + time.Second)
	resp, err := srv.Client().Get(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || !strings.Contains(string(body), "expired") {
		t.Fatalf("expired page: %d %s", resp.StatusCode, body)
	}
	st, err := c.Status(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	// Past the link's expiry, Alibaba's TransactionIdInvalid means the
	// customer never finished: expired, a final state.
	if st.State != providers.StateExpired || !strings.Contains(st.Detail, "30 minutes") {
		t.Fatalf("expired status: %+v", st)
	}
	// Before the expiry the same answer (an early abandon) stays unknown.
	early := *l
	early.ExpiresAt = clk.Now().Add(time.Minute)
	if st, err := c.Status(t.Context(), &early); err != nil || st.State != providers.StateUnknown {
		t.Fatalf("before the expiry: %+v %v", st, err)
	}
}

func TestStatusWrongMerchantBizId(t *testing.T) {
	clk := newClock()
	c, _, _ := sandbox(t, clk)
	l, err := c.Launch(t.Context(), validValues())
	if err != nil {
		t.Fatal(err)
	}
	l.References["MerchantBizId"] = "other"
	st, err := c.Status(t.Context(), l)
	if err != nil || st.State != providers.StateUnknown {
		t.Fatalf("%+v %v", st, err)
	}
	delete(l.References, "TransactionId")
	if _, err := c.Status(t.Context(), l); providers.AsError(err).Kind != providers.KindInvalid {
		t.Fatalf("missing TransactionId: %v", err)
	}
}

func TestRequestIsSignedFreshAndSecretNeverShown(t *testing.T) {
	clk := newClock()
	const secret = "s3cr3t/with+special=chars"
	c, err := New(providers.Config{Mode: providers.ModeLive, Now: clk.Now,
		Credentials: map[string]string{"accessKeyId": "LTAIexample", "accessKeySecret": secret}})
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != LiveURL {
		t.Fatalf("base = %s", c.BaseURL())
	}
	pv := c.Prepare(validValues())
	r1, err := c.Request(t.Context(), pv)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.Request(t.Context(), pv)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Method != "POST" || r1.URL.Path != "/" || r1.URL.Host != "cloudauth-intl.cn-hongkong.aliyuncs.com" {
		t.Fatalf("request line: %s %s", r1.Method, r1.URL)
	}
	h := func(r *http.Request, k string) string { return r.Header.Get(k) }
	if h(r1, "x-acs-action") != "Initialize" || h(r1, "x-acs-version") != "2022-08-09" ||
		h(r1, "x-acs-date") != "2026-11-21T23:16:06Z" || h(r1, "x-acs-content-sha256") != EmptyBodyHash ||
		h(r1, "accept") != "application/json" || len(h(r1, "x-acs-signature-nonce")) != 32 {
		t.Fatalf("headers: %v", r1.Header)
	}
	if h(r1, "x-acs-signature-nonce") == h(r2, "x-acs-signature-nonce") || h(r1, "Authorization") == h(r2, "Authorization") {
		t.Fatal("each build must use a fresh nonce and signature")
	}
	if !strings.HasPrefix(h(r1, "Authorization"), "ACS3-HMAC-SHA256 Credential=LTAIexample,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=") {
		t.Fatalf("Authorization = %s", h(r1, "Authorization"))
	}
	// Recompute the signature from what is on the wire.
	hdrs := map[string][]string{"host": {r1.URL.Host}}
	for k, v := range r1.Header {
		hdrs[k] = v
	}
	want := Authorization("LTAIexample", secret, "POST", "/", r1.URL.Query(), hdrs, EmptyBodyHash)
	if h(r1, "Authorization") != want {
		t.Fatalf("signature does not match the wire request")
	}
	text := providers.View(r1, c.Secrets()).Text()
	curl := providers.Curl(r1, c.Secrets(), "ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	for _, out := range []string{text, curl} {
		if strings.Contains(out, secret) || strings.Contains(out, url.QueryEscape(secret)) {
			t.Fatalf("secret shown:\n%s", out)
		}
		if !strings.Contains(out, "ACS3-HMAC-SHA256") || !strings.Contains(out, "MerchantUserId=") {
			t.Fatalf("view lacks the request:\n%s", out)
		}
	}
	if got := c.Secrets(); len(got) != 1 || got[0] != secret {
		t.Fatalf("Secrets = %v", got)
	}
}

func TestNewConfig(t *testing.T) {
	live := func(opts map[string]string, base string) (*Client, error) {
		return New(providers.Config{Mode: providers.ModeLive, BaseURL: base, Options: opts,
			Credentials: map[string]string{"accessKeyId": "id", "accessKeySecret": "secret"}})
	}
	for opts, want := range map[[2]string]string{
		{"", ""}:                     "https://cloudauth-intl.cn-hongkong.aliyuncs.com",
		{"cn-hongkong", "vpc"}:       "https://cloudauth-intl-vpc.cn-hongkong.aliyuncs.com",
		{"ap-southeast-1", "public"}: "https://cloudauth-intl.ap-southeast-1.aliyuncs.com",
		{"ap-southeast-5", ""}:       "https://cloudauth-intl.ap-southeast-5.aliyuncs.com",
		{"ap-southeast-3", "vpc"}:    "https://cloudauth-intl-vpc.ap-southeast-3.aliyuncs.com",
	} {
		o := map[string]string{"region": opts[0], "endpoint": opts[1]}
		c, err := live(o, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.BaseURL() != want || ResolveBaseURL(o) != want || Descriptor().ResolveBaseURL(o) != want {
			t.Errorf("%v → %s, want %s", opts, c.BaseURL(), want)
		}
	}
	if _, err := live(map[string]string{"region": "us-east-1"}, ""); providers.AsError(err).Field != "region" {
		t.Errorf("unknown region: %v", err)
	}
	if _, err := live(map[string]string{"endpoint": "private"}, ""); providers.AsError(err).Field != "endpoint" {
		t.Errorf("unknown endpoint: %v", err)
	}
	if ResolveBaseURL(map[string]string{"region": "mars"}) != "" {
		t.Error("unknown region should resolve to nothing")
	}
	if _, err := live(nil, "http://example.com"); err == nil {
		t.Error("plain http to a remote host must be refused")
	}
	for _, base := range []string{"http://127.0.0.1:8470/", "http://localhost:8470", "https://proxy.example.com"} {
		c, err := live(nil, base)
		if err != nil {
			t.Errorf("%s: %v", base, err)
		} else if strings.HasSuffix(c.BaseURL(), "/") {
			t.Errorf("%s: trailing slash kept", base)
		}
	}
	if _, err := New(providers.Config{Mode: providers.ModeLive}); providers.AsError(err).Field != "accessKeyId" {
		t.Errorf("live without credentials: %v", err)
	}
	if _, err := New(providers.Config{Mode: providers.ModeLive, Credentials: map[string]string{"accessKeyId": "x"}}); providers.AsError(err).Field != "accessKeySecret" {
		t.Errorf("live without secret: %v", err)
	}
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:8470"})
	if err != nil || c.Secrets()[0] != SandboxAccessKeySecret {
		t.Errorf("sandbox defaults: %v", err)
	}
}

func TestDescriptor(t *testing.T) {
	d := Descriptor()
	if d.ID != "alibaba" || d.Name != "Alibaba Cloud eKYC" || d.LiveURL != "https://cloudauth-intl.cn-hongkong.aliyuncs.com" || d.BaseURLEnv != "KYCDESK_ALIBABA_URL" {
		t.Fatalf("%+v", d)
	}
	if len(d.Credentials) != 2 || d.Credentials[0].Env != "ALIBABA_CLOUD_ACCESS_KEY_ID" || d.Credentials[0].Secret ||
		d.Credentials[1].Env != "ALIBABA_CLOUD_ACCESS_KEY_SECRET" || !d.Credentials[1].Secret {
		t.Fatalf("credentials %+v", d.Credentials)
	}
	if d.SandboxCredentials["accessKeyId"] != SandboxAccessKeyID || d.SandboxCredentials["accessKeySecret"] != SandboxAccessKeySecret {
		t.Fatal("sandbox credentials")
	}
	if d.OptionsDoc["region"] == "" || d.OptionsDoc["endpoint"] == "" || len(d.Spec()) == 0 || d.NewSimulator == nil {
		t.Fatal("descriptor incomplete")
	}
	if _, err := d.New(providers.Config{Mode: providers.ModeLive}); err == nil {
		t.Fatal("New without credentials should fail")
	}
	cl, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:1"})
	if err != nil || cl == nil {
		t.Fatal(err)
	}
}

// stub answers every request with status and body.
func stub(t *testing.T, status int, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEveryErrorCode(t *testing.T) {
	// The seed's table plus the server status-code page (alibaba.md §1.3).
	documented := []string{"MissingParameter", "InvalidParameter", "TransactionIdInvalid", "Forbidden.ExceptionRepeatedInvoke",
		"UnqualifiedPhoto", "DataDuplication", "ToolargeImage", "DownloadTimeout", "NoFaceDetected",
		"Forbidden.RAMUserAccessDenied", "Forbidden.AccountAccessDenied", "Throttling.Api", "ProcessNotCompleted",
		"SuspiciousActivity", "InternalError", "ServiceUnavailable"}
	for _, code := range documented {
		if _, ok := Codes()[code]; !ok {
			t.Errorf("code %s missing from the table", code)
		}
	}
	for code, info := range Codes() {
		body := fmt.Sprintf(`{"RequestId":"130A2C10-B9EE-4D84-88E3-5384FF0E0001","Code":%q,"Message":"server says \u001b[31mno\u001b[0m"}`, code)
		c := stub(t, info.HTTP, body)
		_, err := c.Launch(t.Context(), validValues())
		e := providers.AsError(err)
		wantKind := providers.KindRejected
		if info.HTTP >= 500 {
			wantKind = providers.KindUnknown
		}
		if e == nil || e.Kind != wantKind || e.Code != code || e.HTTPStatus != info.HTTP {
			t.Errorf("%s: %#v", code, e)
			continue
		}
		if !strings.Contains(e.Message, info.Meaning) || e.Action != info.Action || e.Action == "" {
			t.Errorf("%s: message %q action %q", code, e.Message, e.Action)
		}
		if !strings.Contains(e.Message, "130A2C10-B9EE-4D84-88E3-5384FF0E0001") || strings.ContainsRune(e.Message, '\x1b') {
			t.Errorf("%s: message %q", code, e.Message)
		}
	}
	wants := map[string]string{
		"Throttling.Api":                "backoff",
		"Forbidden.RAMUserAccessDenied": "AliyunAntCloudAuthFullAccess",
		"Forbidden.AccountAccessDenied": "activate",
	}
	for code, sub := range wants {
		if !strings.Contains(Codes()[code].Action, sub) {
			t.Errorf("%s action lacks %q", code, sub)
		}
	}
	if !strings.Contains(Codes()["Throttling.Api"].Meaning, "10 for eKYC") || !strings.Contains(Codes()["Throttling.Api"].Meaning, "5 for eKYC_PRO") {
		t.Error("Throttling.Api should give the QPS limits")
	}
}

func TestStatusCodes(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		state  providers.State
		kind   providers.ErrorKind
	}{
		{404, `{"Code":"ProcessNotCompleted","Message":"not completed"}`, providers.StatePending, ""},
		{400, `{"Code":"TransactionIdInvalid","Message":"bad"}`, providers.StateUnknown, ""},
		{200, `{"Code":"Success","Result":{"Passed":"P"}}`, providers.StatePending, ""},
		{200, `{"Code":"Success","Result":{"Passed":"Y","SubCode":"200"}}`, providers.StateApproved, ""},
		{200, `{"Code":"Success","Result":{"Passed":"N","SubCode":"206"}}`, providers.StateDenied, ""},
		{200, `{"Code":"Success","Result":{"Passed":"X"}}`, providers.StateUnknown, ""},
		{403, `{"Code":"Throttling.Api","Message":"slow down"}`, "", providers.KindRejected},
		{500, `{"Code":"InternalError"}`, "", providers.KindUnknown},
		{200, `{"Code":"Success"}`, "", providers.KindUnknown},
	} {
		cl := stub(t, c.status, c.body)
		st, err := cl.Status(t.Context(), &providers.Launch{References: map[string]string{"TransactionId": "t", "MerchantBizId": "m"}})
		if c.kind != "" {
			if providers.AsError(err).Kind != c.kind {
				t.Errorf("%s: err %v", c.body, err)
			}
			continue
		}
		if err != nil || st.State != c.state {
			t.Errorf("%s: %+v %v", c.body, st, err)
		}
	}
}

func TestUnexpectedAnswers(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		kind   providers.ErrorKind
	}{
		{502, "<html>Bad Gateway</html>", providers.KindUnknown},
		{503, `{"Code":"SomethingNew"}`, providers.KindUnknown},
		{404, "404 page not found", providers.KindRejected},
		{400, `{"Code":"Brand.New","Message":"new"}`, providers.KindRejected},
		{200, `{"RequestId":"x","Code":"Success","Result":{"TransactionId":"abc","TransactionUrl":"https://ex`, providers.KindUnknown}, // truncated JSON
		{200, `{"Code":"Success","Result":{"TransactionId":"","TransactionUrl":"https://x"}}`, providers.KindUnknown},
		{200, `{"Code":"Success","Result":{"TransactionId":"a","TransactionUrl":"javascript:alert(1)"}}`, providers.KindUnknown},
		{200, `{"Code":"Success"}`, providers.KindUnknown},
		{200, ``, providers.KindUnknown},
	} {
		cl := stub(t, c.status, c.body)
		_, err := cl.Launch(t.Context(), validValues())
		e := providers.AsError(err)
		if e == nil || e.Kind != c.kind || e.Action == "" {
			t.Errorf("%d %q: %#v", c.status, c.body, e)
		}
	}
}

func TestTruncatedBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "500")
		w.WriteHeader(200)
		io.WriteString(w, `{"RequestId":"x","Code":"Success","Result":{"Trans`)
	}))
	defer srv.Close()
	c, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, HTTP: srv.Client()})
	_, err := c.Launch(t.Context(), validValues())
	if e := providers.AsError(err); e.Kind != providers.KindUnknown {
		t.Fatalf("truncated body: %#v", e)
	}
}

func TestSlowServerIsUnknown(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
	_, err := c.Launch(t.Context(), validValues())
	if e := providers.AsError(err); e.Kind != providers.KindUnknown {
		t.Fatalf("timeout: %#v", e)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	c2, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL})
	_, err = c2.Status(ctx, &providers.Launch{References: map[string]string{"TransactionId": "t", "MerchantBizId": "m"}})
	if e := providers.AsError(err); e.Kind != providers.KindUnknown {
		t.Fatalf("status timeout: %#v", e)
	}
}

func TestConnectionRefusedIsTransport(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: base})
	_, err := c.Launch(t.Context(), validValues())
	if e := providers.AsError(err); e.Kind != providers.KindTransport {
		t.Fatalf("refused: %#v", e)
	}
}

func js(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestNetworkTextIsSanitized(t *testing.T) {
	evil := "\x1b]52;c;ZXZpbA==\x07\x1b[2J\u202eevil\r\n"
	body := `{"RequestId":` + js(evil) + `,"Code":"Success","Result":{"TransactionId":` + js("abc"+evil) +
		`,"TransactionUrl":` + js("https://x.aliyuncs.com/v?a=1\x1b[31m") + `,"Protocol":` + js(evil) + `}}`
	c := stub(t, 200, body)
	l, err := c.Launch(t.Context(), validValues())
	if err != nil {
		t.Fatal(err)
	}
	all := l.URL + l.References["TransactionId"] + l.Extra["Protocol"] + l.Extra["RequestId"]
	if strings.ContainsAny(all, "\x1b\x07\r\n\u202e") {
		t.Fatalf("unsanitized: %q", all)
	}
	cb := `{"Code":"Success","Result":{"Passed":"Y","SubCode":` + js("200"+evil) + `,"ExtFaceInfo":` +
		js(`{"k`+strings.ReplaceAll(js(evil), `"`, ``)+`":"v"}`) + `,"ExtInfo":` + js("not json"+evil) + `}}`
	st, err := stub(t, 200, cb).Status(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range st.Fields {
		if strings.ContainsAny(v, "\x1b\x07\r\u202e") {
			t.Errorf("field %s unsanitized: %q", k, v)
		}
	}
	if st.Fields["ExtInfo"] == "" || st.Fields["ExtFaceInfo"] == "" {
		t.Errorf("fields missing: %q", st.Fields)
	}
	if strings.ContainsAny(st.Detail, "\x1b\x07\r\n\u202e") {
		t.Errorf("detail unsanitized: %q", st.Detail)
	}
	_, err = stub(t, 400, `{"Code":`+js("Bad"+evil)+`,"Message":`+js(evil)+`}`).Launch(t.Context(), validValues())
	e := providers.AsError(err)
	if strings.ContainsAny(e.Code+e.Message, "\x1b\x07\r\n\u202e") || !strings.Contains(e.Message, "evil") {
		t.Errorf("error unsanitized: %q %q", e.Code, e.Message)
	}
}

func TestRenderJSON(t *testing.T) {
	img := strings.Repeat("A", 5000)
	in := `{"faceAttack":"N","faceComparisonScore":99.99,"faceImg":"` + img + `","spoofInfo":{"spoofResult":"Y","spoofType":["SCREEN_REMARK","PRINT"]},"list":[{"a":1}],"empty":{},"n":null}`
	got := RenderJSON(in)
	want := strings.Join([]string{
		"empty: {}",
		"faceAttack: N",
		"faceComparisonScore: 99.99",
		"faceImg: (5000 characters, not shown)",
		"list[0].a: 1",
		"n: null",
		"spoofInfo.spoofResult: Y",
		"spoofInfo.spoofType: [SCREEN_REMARK, PRINT]",
	}, "\n")
	if got != want {
		t.Fatalf("RenderJSON =\n%s\nwant\n%s", got, want)
	}
	if RenderJSON("plain text") != "plain text" {
		t.Fatal("non-JSON text should be shown as is")
	}
}

// Flow control refuses a call without running it: Launch asks again
// (signed anew) after a pause, up to twice, and reports the refusal when
// it persists.
func TestLaunchRetriesThrottling(t *testing.T) {
	var calls atomic.Int32
	var dates sync.Map
	refuse := int32(1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		dates.Store(r.Header.Get("x-acs-signature-nonce"), true)
		w.Header().Set("Content-Type", "application/json")
		if n <= atomic.LoadInt32(&refuse) {
			w.WriteHeader(403)
			io.WriteString(w, `{"Code":"Throttling.Api","Message":"Request was denied due to api flow control.","RequestId":"r"}`)
			return
		}
		io.WriteString(w, `{"Code":"Success","RequestId":"r","Result":{"TransactionId":"0123456789abcdef0123456789abcdef",`+
			`"TransactionUrl":"https://verify.example.aliyun.test/x","Protocol":"p"}}`)
	}))
	defer srv.Close()
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, HTTP: srv.Client(),
		AllowedURLHosts: []string{"verify.example.aliyun.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Launch(t.Context(), c.Prepare(validValues())); err != nil {
		t.Fatalf("after one refusal: %v", err)
	}
	n := 0
	dates.Range(func(any, any) bool { n++; return true })
	if calls.Load() != 2 || n != 2 {
		t.Errorf("%d calls, %d nonces: want the call made again, signed anew", calls.Load(), n)
	}
	calls.Store(0)
	atomic.StoreInt32(&refuse, 10)
	_, err = c.Launch(t.Context(), c.Prepare(validValues()))
	if pe := providers.AsError(err); pe.Code != "Throttling.Api" || calls.Load() != 1+throttleRetries {
		t.Errorf("refused throughout: %v after %d calls", err, calls.Load())
	}
}
