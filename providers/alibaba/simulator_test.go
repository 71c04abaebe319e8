package alibaba

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
)

type simAnswer struct {
	status    int
	Code      string
	Message   string
	RequestID string `json:"RequestId"`
	Result    map[string]string
}

func send(t *testing.T, client *http.Client, req *http.Request) simAnswer {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a simAnswer
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	a.status = resp.StatusCode
	return a
}

func initQuery() url.Values {
	return url.Values{
		"ProductCode": {"eKYC"}, "MerchantBizId": {"abc123"}, "MetaInfo": {MetaInfoMobileH5},
		"MerchantUserId": {"u1"}, "DocType": {"01000000"}, "ReturnUrl": {"https://example.com/done"},
	}
}

// The simulator verifies the Node client's captured signature (alibaba.md
// §3.5) with its own code: the request gets past the signature checks and
// is refused only for the parameter the capture lacks.
func TestSimulatorVerifiesNodeCapture(t *testing.T) {
	clk := clocktest.New(time.Date(2026, 11, 21, 23, 20, 0, 0, time.UTC))
	sim := NewSimulator(providers.SimOptions{Now: clk.Now,
		Credentials: map[string]string{"accessKeyId": "testid", "accessKeySecret": "testsecret"}})
	mux := http.NewServeMux()
	sim.Register(mux)
	capture := func() *http.Request {
		q := "ProductCode=eKYC&MerchantBizId=abc123&MetaInfo=%7B%22deviceType%22%3A%22h5%22%2C%22ua%22%3A%22Mozilla%2F5.0+%28X11%29+*~%22%7D&DocType=00000006&ReturnUrl=https%3A%2F%2Fexample.com%2Fdone%3Fa%3D1%26b%3D2+c"
		r := httptest.NewRequest("POST", "http://127.0.0.1:8765/?"+q, nil)
		r.Header.Set("x-acs-action", "Initialize")
		r.Header.Set("x-acs-version", "2022-08-09")
		r.Header.Set("x-acs-date", "2026-11-21T23:16:06Z")
		r.Header.Set("x-acs-signature-nonce", "18923c40e61779452d075030ff9520c4")
		r.Header.Set("x-acs-content-sha256", EmptyBodyHash)
		r.Header.Set("x-acs-credentials-provider", "static_ak")
		r.Header.Set("accept", "application/json")
		r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=797213fb7423d62d0ea28d9b034c1291456965b091ef6ef478c3cb5b2393bfc3")
		return r
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, capture())
	if w.Code != 400 || !strings.Contains(w.Body.String(), `"MissingParameter"`) || !strings.Contains(w.Body.String(), "MerchantUserId") {
		t.Fatalf("capture: %d %s", w.Code, w.Body)
	}
	// Replaying it is refused as a used nonce.
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, capture())
	if w.Code != 400 || !strings.Contains(w.Body.String(), "SignatureNonceUsed") {
		t.Fatalf("replay: %d %s", w.Code, w.Body)
	}
	// One changed byte in the query breaks the signature.
	r := capture()
	r.Header.Set("x-acs-signature-nonce", "18923c40e61779452d075030ff9520c5")
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "SignatureDoesNotMatch") {
		t.Fatalf("tampered: %d %s", w.Code, w.Body)
	}
}

func TestSimulatorRejects(t *testing.T) {
	clk := newClock()
	c, _, srv := sandbox(t, clk)
	hc := srv.Client()

	t.Run("bad signature", func(t *testing.T) {
		req, _ := c.signed(t.Context(), ActionInitialize, initQuery())
		req.URL.RawQuery = strings.Replace(req.URL.RawQuery, "abc123", "abc124", 1)
		a := send(t, hc, req)
		if a.status != 400 || a.Code != "SignatureDoesNotMatch" || !strings.Contains(a.Message, "server string to sign is:ACS3-HMAC-SHA256\n") {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		bad, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Now: clk.Now,
			Credentials: map[string]string{"accessKeyId": SandboxAccessKeyID, "accessKeySecret": "wrong"}})
		_, err := bad.Launch(t.Context(), validValues())
		e := providers.AsError(err)
		if e.Kind != providers.KindRejected || e.Code != "SignatureDoesNotMatch" || e.HTTPStatus != 400 {
			t.Fatalf("%#v", e)
		}
		if strings.Contains(e.Message, SandboxAccessKeySecret) {
			t.Fatal("the secret must not appear in the error")
		}
	})
	t.Run("unknown access key", func(t *testing.T) {
		bad, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Now: clk.Now,
			Credentials: map[string]string{"accessKeyId": "LTAInobody", "accessKeySecret": SandboxAccessKeySecret}})
		_, err := bad.Launch(t.Context(), validValues())
		if e := providers.AsError(err); e.Code != "InvalidAccessKeyId.NotFound" || e.HTTPStatus != 404 || e.Kind != providers.KindRejected {
			t.Fatalf("%#v", e)
		}
	})
	t.Run("stale date", func(t *testing.T) {
		for _, skew := range []time.Duration{-16 * time.Minute, 16 * time.Minute} {
			stale, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL,
				Now: func() time.Time { return clk.Now().Add(skew) }})
			_, err := stale.Launch(t.Context(), validValues())
			if e := providers.AsError(err); e.Code != "InvalidTimeStamp.Expired" || e.HTTPStatus != 400 {
				t.Fatalf("skew %v: %#v", skew, e)
			}
		}
		ok, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL,
			Now: func() time.Time { return clk.Now().Add(-14 * time.Minute) }})
		if _, err := ok.Launch(t.Context(), validValues()); err != nil {
			t.Fatalf("14 minutes of skew should pass: %v", err)
		}
	})
	t.Run("reused nonce", func(t *testing.T) {
		req, _ := c.signed(t.Context(), ActionInitialize, initQuery())
		again := req.Clone(t.Context())
		if a := send(t, hc, req); a.status != 200 || a.Code != "Success" {
			t.Fatalf("first: %+v", a)
		}
		if a := send(t, hc, again); a.status != 400 || a.Code != "SignatureNonceUsed" {
			t.Fatalf("replay: %+v", a)
		}
	})
	t.Run("incomplete signature", func(t *testing.T) {
		req, _ := c.signed(t.Context(), ActionInitialize, initQuery())
		req.Header.Del("Authorization")
		if a := send(t, hc, req); a.status != 400 || a.Code != "IncompleteSignature" {
			t.Fatalf("no Authorization: %+v", a)
		}
		req, _ = c.signed(t.Context(), ActionInitialize, initQuery())
		req.Header.Set("Authorization", "ACS3-HMAC-SM3 Credential=x,SignedHeaders=host,Signature=00")
		if a := send(t, hc, req); a.status != 400 || a.Code != "IncompleteSignature" {
			t.Fatalf("other algorithm: %+v", a)
		}
		req, _ = c.signed(t.Context(), ActionInitialize, initQuery())
		req.Header.Set("x-acs-extra", "unsigned")
		if a := send(t, hc, req); a.status != 400 || a.Code != "IncompleteSignature" || !strings.Contains(a.Message, "x-acs-extra") {
			t.Fatalf("unsigned x-acs header: %+v", a)
		}
		req, _ = c.signed(t.Context(), ActionInitialize, initQuery())
		req.Header.Del("x-acs-date")
		if a := send(t, hc, req); a.status != 400 || a.Code != "MissingParameter" || !strings.Contains(a.Message, "x-acs-date") {
			t.Fatalf("no date: %+v", a)
		}
	})
	t.Run("unknown action", func(t *testing.T) {
		req, _ := c.signed(t.Context(), "DescribeRegions", url.Values{})
		if a := send(t, hc, req); a.status != 404 || a.Code != "InvalidAction.NotFound" {
			t.Fatalf("%+v", a)
		}
	})
	t.Run("wrong body hash", func(t *testing.T) {
		req, _ := c.signed(t.Context(), ActionInitialize, initQuery())
		req.Body = io.NopCloser(strings.NewReader("x=1"))
		req.ContentLength = 3
		if a := send(t, hc, req); a.status != 400 || a.Code != "SignatureDoesNotMatch" {
			t.Fatalf("%+v", a)
		}
	})
}

func TestSimulatorParameterRules(t *testing.T) {
	clk := newClock()
	c, sim, srv := sandbox(t, clk)
	sim.qps.unlimited = true // more requests than the account's QPS, on purpose
	cases := []struct {
		name, value, code string
	}{
		{"ProductCode", "", "MissingParameter"},
		{"MerchantBizId", "", "MissingParameter"},
		{"MetaInfo", "", "MissingParameter"},
		{"MerchantUserId", "", "MissingParameter"},
		{"DocType", "", "MissingParameter"},
		{"ProductCode", "KYC_GLOBAL", "InvalidParameter"},
		{"MerchantBizId", strings.Repeat("a", 33), "InvalidParameter"},
		{"MerchantBizId", "a-b", "InvalidParameter"},
		{"MetaInfo", "not json", "InvalidParameter"},
		{"MetaInfo", `{"ua":"x"}`, "InvalidParameter"},
		{"DocType", "01560000", "InvalidParameter"},
		{"SceneCode", "ABCDEFGHIJK", "InvalidParameter"},
		{"SceneCode", "a-b", "InvalidParameter"},
		{"IdSpoof", "X", "InvalidParameter"},
		{"Authorize", "Y", "InvalidParameter"},
		{"SecurityLevel", "03", "InvalidParameter"},
		{"IdThreshold", "9", "InvalidParameter"},
		{"Model", "FAST", "InvalidParameter"},
		{"DocVideo", "1", "InvalidParameter"},
		{"ShowAlbumIcon", "Y", "InvalidParameter"},
		{"ShowBlbumIcon", "Y", "InvalidParameter"},
		{"ShowOcrResult", "2", "InvalidParameter"},
		{"ShowGuidePage", "2", "InvalidParameter"},
		{"ProcedurePriority", "retry", "InvalidParameter"},
		{"AppQualityCheck", "1", "InvalidParameter"},
		{"EditOcrResult", "Y", "InvalidParameter"},
		{"LanguageConfig", "[]", "InvalidParameter"},
		{"StyleConfig", "{", "InvalidParameter"},
		{"ReturnUrl", "not a url", "InvalidParameter"},
		{"CallbackUrl", "http://example.com/cb", "InvalidParameter"},
	}
	for _, tc := range cases {
		q := initQuery()
		if tc.value == "" {
			q.Del(tc.name)
		} else {
			q.Set(tc.name, tc.value)
		}
		req, _ := c.signed(t.Context(), ActionInitialize, q)
		a := send(t, srv.Client(), req)
		if a.status != 400 || a.Code != tc.code || !strings.Contains(a.Message, `"`+tc.name+`"`) {
			t.Errorf("%s=%q: %+v", tc.name, tc.value, a)
		}
	}
	// What other clients may send: the seed's spellings.
	q := initQuery()
	q.Set("ShowBlbumIcon", "0")
	q.Set("DocType", "000000011")
	q.Set("CallbackUrl", "https://example.com/cb")
	q.Set("LanguageConfig", `{"supportedLanguage":["en"]}`)
	req, _ := c.signed(t.Context(), ActionInitialize, q)
	if a := send(t, srv.Client(), req); a.status != 200 || len(a.Result["TransactionId"]) != 32 || a.Message != "success" || a.RequestID == "" {
		t.Fatalf("seed spellings: %+v", a)
	}
	for _, name := range []string{"MerchantBizId", "TransactionId"} {
		q := url.Values{"MerchantBizId": {"m"}, "TransactionId": {"t"}}
		q.Del(name)
		req, _ := c.signed(t.Context(), ActionCheckResult, q)
		if a := send(t, srv.Client(), req); a.status != 400 || a.Code != "MissingParameter" || !strings.Contains(a.Message, name) {
			t.Errorf("CheckResult without %s: %+v", name, a)
		}
	}
}

func TestSimulatorCustomCredentials(t *testing.T) {
	clk := newClock()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	creds := map[string]string{"accessKeyId": "LTAIreal", "accessKeySecret": "realsecret"}
	NewSimulator(providers.SimOptions{Credentials: creds, Now: clk.Now}).Register(mux)
	c, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Credentials: creds, Now: clk.Now})
	l, err := c.Launch(t.Context(), validValues())
	if err != nil {
		t.Fatal(err)
	}
	// No PublicURL: the page URL is built from the request's host.
	if !strings.HasPrefix(l.URL, srv.URL+"/sandbox/alibaba/verify/") {
		t.Fatalf("URL = %s", l.URL)
	}
	sb, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Now: clk.Now})
	if _, err := sb.Launch(t.Context(), validValues()); providers.AsError(err).Code != "InvalidAccessKeyId.NotFound" {
		t.Fatalf("sandbox credentials must be refused when others are configured: %v", err)
	}
}

func get(t *testing.T, hc *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func post(t *testing.T, hc *http.Client, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := hc.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSimulatorPage(t *testing.T) {
	clk := newClock()
	c, _, srv := sandbox(t, clk)
	hc := srv.Client()
	v := validValues()
	v.Set("DocType", "00000008")
	v.Set("Model", "PHOTINUS_LIVENESS")
	v.Set("ReturnUrl", `https://example.com/done?q="><script>alert(1)</script>`)
	l, err := c.Launch(t.Context(), v)
	if err != nil {
		t.Fatal(err)
	}
	status, body, hdr := get(t, hc, l.URL)
	if status != 200 {
		t.Fatalf("page: %d", status)
	}
	for _, want := range []string{"Alibaba Cloud ID Verification", "Hong Kong identity card (2018 version)", "colours", "PHOTINUS_LIVENESS",
		`value="approve"`, `value="deny"`, `value="abandon"`, `method="post"`, "viewport"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=", "<link", "http://", "https://"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q (no external resources, no scripts)", bad)
		}
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") || hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: %v", hdr)
	}
	token := tokenRE.FindStringSubmatch(body)[1]

	// A second visit before acting: the URL works once.
	if s, b, _ := get(t, hc, l.URL); s != http.StatusForbidden || !strings.Contains(b, "only once") {
		t.Fatalf("second visit: %d %s", s, b)
	}
	// Forged or missing tokens are refused; a bad choice too.
	if s, _ := post(t, hc, l.URL, url.Values{"action": {"approve"}}); s != http.StatusForbidden {
		t.Fatalf("no token: %d", s)
	}
	if s, _ := post(t, hc, l.URL, url.Values{"action": {"approve"}, "token": {strings.Repeat("0", 32)}}); s != http.StatusForbidden {
		t.Fatalf("forged token: %d", s)
	}
	if s, _ := post(t, hc, l.URL, url.Values{"action": {"maybe"}, "token": {token}}); s != http.StatusBadRequest {
		t.Fatalf("bad action: %d", s)
	}
	// The visitor who opened it can still choose.
	s, b := post(t, hc, l.URL, url.Values{"action": {"approve"}, "token": {token}})
	if s != 200 || !strings.Contains(b, "approved") {
		t.Fatalf("approve: %d %s", s, b)
	}
	if strings.Contains(b, "<script>") || !strings.Contains(b, "&#34;&gt;&lt;script&gt;") && !strings.Contains(b, "%22%3e%3cscript%3e") {
		t.Fatalf("ReturnUrl not escaped:\n%s", b)
	}
	if s, _ := post(t, hc, l.URL, url.Values{"action": {"deny"}, "token": {token}}); s != http.StatusForbidden {
		t.Fatalf("second choice: %d", s)
	}
	if s, _, _ := get(t, hc, srv.URL+"/sandbox/alibaba/verify/nope"); s != http.StatusNotFound {
		t.Fatalf("unknown id: %d", s)
	}
	st, err := c.Status(t.Context(), l)
	if err != nil || st.State != providers.StateApproved {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestSimulatorConcurrent(t *testing.T) {
	clk := newClock()
	c, sim, srv := sandbox(t, clk)
	sim.qps.unlimited = true // 16 launches at one frozen instant, on purpose
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := c.Launch(t.Context(), validValues())
			if err != nil {
				errs <- err
				return
			}
			resp, err := srv.Client().Get(l.URL)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if _, err := c.Status(t.Context(), l); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
