package dws

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

func TestLaunchSuccess(t *testing.T) {
	sb := newSandbox(t, nil)
	l, err := sb.client.Launch(context.Background(), vals(ParamIdentityValue, "(020)44555666", ParamCountry, "GB",
		"env.terminalType", "APP", "env.osVersion", "10", "env.language", "en-US"))
	if err != nil {
		t.Fatal(err)
	}
	reqID := l.References[ParamAuthenticationRequestID]
	if l.Provider != "dws" || reqID == "" || len(reqID) > 64 || l.References["authenticationId"] == "" {
		t.Fatalf("references %v", l.References)
	}
	// One masking rule: the journal's customer and the code screen's
	// number are the same text.
	if l.Customer != "+44******5666" || l.Challenge == nil || l.Challenge.RenderValue != l.Customer {
		t.Fatalf("customer %q", l.Customer)
	}
	ch := l.Challenge
	if ch == nil || ch.ChallengeID != l.References["authenticationId"] || ch.RenderValue != "+44******5666" || ch.Type != "sms" || ch.Triggered {
		t.Fatalf("challenge %+v", ch)
	}
	if !l.ExpiresAt.Equal(sb.clock.Now().Add(SessionTTL)) {
		t.Fatalf("expires %v", l.ExpiresAt)
	}
	for _, n := range l.Notes {
		if strings.Contains(n, "NOT verified") {
			t.Fatalf("sandbox verifies answers, but the note says %q", n)
		}
	}
	// Every value goes on the wire as a JSON string; env is the nested object.
	bodies := sb.bodies("/initAuthentication")
	if len(bodies) != 1 {
		t.Fatalf("%d requests", len(bodies))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(bodies[0]), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"authenticationRequestId": reqID, "authenticationMethod": "OTP", "authenticationType": "SMS",
		"identityType": "MOBILENO", "identityValue": "44-2044555666"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %q", k, m[k], v)
		}
	}
	env, ok := m["env"].(map[string]any)
	if !ok || env["terminalType"] != "APP" || env["osVersion"] != "10" || env["language"] != "en-US" || len(env) != 3 {
		t.Errorf("env = %v", m["env"])
	}
	if _, ok := m["country"]; ok {
		t.Error("country was sent")
	}
	if len(m) != 6 {
		t.Errorf("unexpected members: %v", m)
	}
	if r := sb.sim.Requests()[0]; r.Path != "/ams/sandbox/api/v1/customers/initAuthentication" {
		t.Errorf("path %s", r.Path)
	}
}

func TestLaunchRefusesInvalidInput(t *testing.T) {
	sb := newSandbox(t, nil)
	_, err := sb.client.Launch(context.Background(), vals(ParamIdentityValue, "+44 20", "env.clientIp", "not-an-ip", "bogus", "x"))
	pe := asErr(t, err)
	if pe.Kind != providers.KindInvalid || len(pe.Fields) != 3 {
		t.Fatalf("%v %+v", pe.Kind, pe.Fields)
	}
	if len(sb.sim.Requests()) != 0 {
		t.Fatal("an invalid launch sent something")
	}
	long := strings.Repeat("a", 65)
	pe = asErr(t, func() error {
		_, err := sb.client.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899", ParamAuthenticationRequestID, long))
		return err
	}())
	if pe.Kind != providers.KindInvalid || pe.Field != ParamAuthenticationRequestID {
		t.Fatalf("long id: %+v", pe)
	}
}

func TestPrepareKeepsTheID(t *testing.T) {
	c := newSandbox(t, nil).client
	v := c.Prepare(vals(ParamIdentityValue, "1-4154567899"))
	id := v.Get(ParamAuthenticationRequestID)
	if id == "" || v.Get(ParamAuthenticationMethod) != "OTP" || v.Get(ParamAuthenticationType) != "SMS" || v.Get(ParamIdentityType) != "MOBILENO" {
		t.Fatalf("prepared %v", v)
	}
	if again := c.Prepare(v); again.Get(ParamAuthenticationRequestID) != id {
		t.Fatal("Prepare replaced the id")
	}
	if other := c.Prepare(vals(ParamIdentityValue, "1-4154567899")); other.Get(ParamAuthenticationRequestID) == id {
		t.Fatal("two launches share an id")
	}
	// Aliases.
	v = c.Prepare(vals(ParamIdentityValue, "1-4154567899", "authenticationtype", "sms", ParamAuthenticationMethod, "otp"))
	if v.Get(ParamAuthenticationType) != "SMS" || v.Get(ParamAuthenticationMethod) != "OTP" {
		t.Fatalf("aliases: %v", v)
	}
	if errs := c.Validate(v); len(errs) != 0 {
		t.Fatalf("valid values refused: %v", errs)
	}
}

func TestUnknownThenSuccessSameBody(t *testing.T) {
	sb := newSandbox(t, nil)
	l := launch(t, sb, "+60 12 345 "+SandboxSuffixUnknownOnce)
	bodies := sb.bodies("/initAuthentication")
	if len(bodies) != 2 || bodies[0] != bodies[1] {
		t.Fatalf("bodies not byte-identical: %q", bodies)
	}
	reqs := sb.sim.Requests()
	if reqs[0].Header.Get("Signature") == "" || reqs[1].Header.Get("Signature") == "" {
		t.Fatal("unsigned retry")
	}
	if !strings.Contains(bodies[0], l.References[ParamAuthenticationRequestID]) {
		t.Fatal("retry with another id")
	}
	noted := false
	for _, n := range l.Notes {
		noted = noted || strings.Contains(n, "sent 2 times")
	}
	if !noted {
		t.Fatalf("notes %q", l.Notes)
	}
}

func TestServiceUnavailableThenSuccess(t *testing.T) {
	sb := newSandbox(t, nil)
	launch(t, sb, "+60 12 345 "+SandboxSuffixUnavailableOnce)
	bodies := sb.bodies("/initAuthentication")
	if len(bodies) != 2 || bodies[0] != bodies[1] {
		t.Fatalf("bodies %q", bodies)
	}
}

func TestAlwaysUnknownGivesUp(t *testing.T) {
	sb := newSandbox(t, nil)
	var waits []int
	sb.client.Backoff = func(n int) time.Duration { waits = append(waits, n); return 0 }
	_, err := sb.client.Launch(context.Background(), vals(ParamIdentityValue, "+60 12 345 "+SandboxSuffixAlwaysUnknown, ParamAuthenticationRequestID, "KYCDESK-U-1"))
	pe := asErr(t, err)
	if pe.Kind != providers.KindUnknown || pe.Code != CodeRequestTrafficExceedLimit || providers.AsError(err).Kind != providers.KindUnknown {
		t.Fatalf("%+v", pe)
	}
	if !strings.Contains(pe.Message, "outcome unknown") || !strings.Contains(pe.Action, "KYCDESK-U-1") || !strings.Contains(pe.Action, "same") {
		t.Fatalf("message %q action %q", pe.Message, pe.Action)
	}
	bodies := sb.bodies("/initAuthentication")
	if len(bodies) != 1+DefaultRetries {
		t.Fatalf("%d attempts", len(bodies))
	}
	for _, b := range bodies {
		if b != bodies[0] {
			t.Fatal("bodies differ between retries")
		}
	}
	if len(waits) != DefaultRetries || waits[0] != 1 || waits[2] != 3 {
		t.Fatalf("backoff calls %v", waits)
	}
	// Retrying the same request later works the same way (still U here).
	_, err = sb.client.Launch(context.Background(), vals(ParamIdentityValue, "+60 12 345 "+SandboxSuffixAlwaysUnknown, ParamAuthenticationRequestID, "KYCDESK-U-1"))
	if asErr(t, err).Code == CodeRepeatReqInconsistent {
		t.Fatal("the same request was called inconsistent")
	}
}

func TestTimeoutThenSuccess(t *testing.T) {
	var n atomic.Int32
	release := make(chan struct{})
	sb := newSandbox(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/initAuthentication") && n.Add(1) == 1 {
				select { // the first answer is too late
				case <-release:
				case <-time.After(2 * time.Second):
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	defer close(release)
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: sb.srv.URL, Now: sb.clock.Now, Timeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff = func(int) time.Duration { return 0 }
	l, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	if err != nil {
		t.Fatal(err)
	}
	if l.References["authenticationId"] == "" || n.Load() < 2 {
		t.Fatalf("attempts %d", n.Load())
	}
}

func TestTimeoutEveryTimeIsUnknown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(200 * time.Millisecond):
		}
	}))
	defer srv.Close()
	c, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
	c.Retries = 1
	c.Backoff = nil
	_, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	pe := asErr(t, err)
	if pe.Kind != providers.KindUnknown || !strings.Contains(pe.Message, "2 attempt") {
		t.Fatalf("%+v", pe)
	}
}

func TestConnectionRefusedIsTransport(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: url})
	_, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	if pe := asErr(t, err); pe.Kind != providers.KindTransport {
		t.Fatalf("%+v", pe)
	}
}

func TestIdempotency(t *testing.T) {
	sb := newSandbox(t, nil)
	v := sb.client.Prepare(vals(ParamIdentityValue, "+44 7911 123456", "env.terminalType", "APP"))
	l1, err := sb.client.Launch(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := sb.client.Launch(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	if l1.References["authenticationId"] != l2.References["authenticationId"] {
		t.Fatal("same id and body gave another authenticationId")
	}
	// The number typed differently normalises to the same body: still the same request.
	same := v.Clone()
	same.Set(ParamIdentityValue, "07911 123456")
	same.Set(ParamCountry, "GB")
	l3, err := sb.client.Launch(context.Background(), same)
	if err != nil || l3.References["authenticationId"] != l1.References["authenticationId"] {
		t.Fatalf("same body typed differently: %v", err)
	}
	changed := v.Clone()
	changed.Set("env.terminalType", "WEB")
	_, err = sb.client.Launch(context.Background(), changed)
	pe := asErr(t, err)
	if pe.Kind != providers.KindRejected || pe.Code != CodeRepeatReqInconsistent {
		t.Fatalf("%+v", pe)
	}
	id := v.Get(ParamAuthenticationRequestID)
	if !strings.Contains(pe.Message, id) || !strings.Contains(pe.Message, "differ") {
		t.Fatalf("message %q", pe.Message)
	}
	if !strings.Contains(pe.Action, "new authenticationRequestId") || !strings.Contains(pe.Action, "exactly") {
		t.Fatalf("action %q", pe.Action)
	}
}

func TestRejectedCodes(t *testing.T) {
	sb := newSandbox(t, nil)
	for suffix, code := range map[string]string{SandboxSuffixProcessFail: CodeProcessFail, SandboxSuffixAccessDenied: CodeAccessDenied} {
		_, err := sb.client.Launch(context.Background(), vals(ParamIdentityValue, "+60 12 345 "+suffix))
		pe := asErr(t, err)
		info, _ := LookupCode(code)
		if pe.Kind != providers.KindRejected || pe.Code != code || !strings.Contains(pe.Message, info.Meaning) || !strings.Contains(pe.Action, info.Action) {
			t.Errorf("%s: %+v", code, pe)
		}
		if providers.AsError(err).Kind != providers.KindRejected {
			t.Errorf("%s: kind %s", code, providers.AsError(err).Kind)
		}
	}
	// TIMES_EXCEED_LIMIT: too many new authentications for one number.
	var err error
	for i := 0; i <= SimInitLimit; i++ {
		_, err = sb.client.Launch(context.Background(), vals(ParamIdentityValue, "+44 7911 654321"))
		if i < SimInitLimit && err != nil {
			t.Fatalf("launch %d: %v", i, err)
		}
	}
	pe := asErr(t, err)
	if pe.Code != CodeTimesExceedLimit || !strings.Contains(pe.Action, "wait") || !strings.Contains(pe.Action, "launch anew") {
		t.Fatalf("%+v", pe)
	}
	sb.clock.Advance(SimInitWindow)
	if _, err := sb.client.Launch(context.Background(), vals(ParamIdentityValue, "+44 7911 654321")); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// Every code of the seed's table is explained with its meaning and further action.
func TestEverySeedCodeMapped(t *testing.T) {
	seed := []struct{ code, status, action string }{
		{"SUCCESS", "S", "/"},
		{"REPEAT_REQ_INCONSISTENT", "F", "Ensure the fields in the requests are the same."},
		{"PARAM_ILLEGAL", "F", "Check and verify whether the request fields, including the header fields and body fields, are correct and valid."},
		{"PROCESS_FAIL", "F", "Human intervention is usually needed."},
		{"UNKNOWN_EXCEPTION", "U", "Call the interface again to resolve the issue."},
		{"INVALID_PHONE_NUMBER", "F", "Check and verify whether the user's phone number has the correct format and is valid."},
		{"TIMES_EXCEED_LIMIT", "F", "Too many requests in a short time, wait for a while to try again."},
		{"INVALID_API", "F", "Check whether the API name, HTTP method, or request format is correct when sending the request."},
		{"INVALID_CLIENT", "F", "Check whether the client ID is correct, or contact Alipay Technical Support for detailed reasons."},
		{"INVALID_SIGNATURE", "F", "Check whether the private key used to sign a request matches the public key of Alipay Developer Center."},
		{"REQUEST_TRAFFIC_EXCEED_LIMIT", "U", "Call the interface again to resolve the issue."},
		{"ACCESS_DENIED", "F", "Contact Alipay Technical Support for detailed reasons."},
		{"SEND_TIMES_EXCEED_LIMIT", "F", "Contact Alipay technical support to know the specific limitation."},
		{"METHOD_NOT_SUPPORTED", "F", "Ensure the HTTP method is POST."},
	}
	var current atomic.Value
	key, _ := ParsePrivateKey(SandboxPlatformPrivateKeyPEM)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		row := current.Load().([3]string)
		body := `{"result":{"resultStatus":"` + row[1] + `","resultCode":"` + row[0] + `","resultMessage":"msg for ` + row[0] + `"}}`
		signResponse(w, key, r.URL.Path, SandboxClientID, body)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	c, _ := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL})
	c.Backoff = nil
	for _, row := range seed {
		info, ok := LookupCode(row.code)
		if !ok || info.Meaning == "" || info.Action == "" || info.Status != row.status {
			t.Errorf("%s: %+v", row.code, info)
			continue
		}
		if row.action != "/" && !strings.Contains(info.Action, row.action) {
			t.Errorf("%s: action %q lacks the seed's %q", row.code, info.Action, row.action)
		}
		if row.code == "SUCCESS" {
			continue
		}
		current.Store([3]string{row.code, row.status})
		_, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
		pe := asErr(t, err)
		switch row.status {
		case "F":
			if pe.Kind != providers.KindRejected || pe.Code != row.code || pe.Action == "" || pe.Message == "" {
				t.Errorf("%s: %+v", row.code, pe)
			}
			if row.code != CodeRepeatReqInconsistent && !strings.Contains(pe.Action, info.Action) {
				t.Errorf("%s: action %q", row.code, pe.Action)
			}
			if row.code == CodeRepeatReqInconsistent && !strings.Contains(pe.Action, row.action) {
				t.Errorf("%s: action %q", row.code, pe.Action)
			}
			sticky := strings.Contains(pe.Action, "returns this same answer")
			if wantSticky := !notStored[row.code] && row.code != CodeRepeatReqInconsistent && row.code != CodeTimesExceedLimit; sticky != wantSticky {
				t.Errorf("%s: action %q (same-answer note %v)", row.code, pe.Action, sticky)
			}
		case "U":
			if pe.Kind != providers.KindUnknown || pe.Code != row.code {
				t.Errorf("%s: %+v", row.code, pe)
			}
		}
	}
	// The unconfirmed verification codes are in the table too.
	for _, code := range []string{CodeOTPIncorrect, CodeOTPExpired, CodeVerifyTimesExceedLimit} {
		if info, ok := LookupCode(code); !ok || info.Action == "" || !strings.Contains(info.Source, "UNCONFIRMED") {
			t.Errorf("%s: %+v", code, info)
		}
	}
}

func signResponse(w http.ResponseWriter, pk *rsa.PrivateKey, uri, clientID, body string) {
	rt := "2019-05-28T12:12:14+08:00"
	sig, _ := Sign(pk, SignContent("POST", uri, clientID, rt, []byte(body)))
	w.Header().Set("Response-Time", rt)
	w.Header().Set("Signature", SignatureHeader("1", sig))
	w.Header().Set("Content-Type", "application/json")
}

func TestEscapeSequencesInResultMessage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"result":{"resultStatus":"F","resultCode":"PROCESS\u001b[2J_FAIL","resultMessage":"\u001b[31mred\u001b[0m \u001b]0;pwned\u0007title\u202eevil\r\nline"}}`)
	}))
	defer srv.Close()
	c, _ := New(providers.Config{Mode: providers.ModeLive, BaseURL: srv.URL, Credentials: map[string]string{
		CredClientID: "2188120000000001", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM}})
	_, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	pe := asErr(t, err)
	for _, s := range []string{pe.Message, pe.Code, pe.Action, pe.Error()} {
		if strings.ContainsAny(s, "\x1b\x07\r\n\u202e") {
			t.Fatalf("escape sequence survived: %q", s)
		}
	}
	if !strings.Contains(pe.Message, "red") || !strings.Contains(pe.Message, "title") {
		t.Fatalf("message lost its text: %q", pe.Message)
	}
}

func TestResponseVerification(t *testing.T) {
	key, _ := ParsePrivateKey(SandboxPlatformPrivateKeyPEM)
	const good = `{"authenticationId":"2022","authenticationRequestId":"R1","result":{"resultStatus":"S","resultCode":"SUCCESS","resultMessage":"success."}}`
	mode := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := good
		switch mode {
		case "good":
			signResponse(w, key, r.URL.Path, "2188120000000001", body)
		case "tampered":
			signResponse(w, key, r.URL.Path, "2188120000000001", body)
			body = strings.Replace(body, "2022", "2023", 1)
		case "unsigned":
		case "unsigned-refusal":
			body = `{"result":{"resultStatus":"F","resultCode":"INVALID_SIGNATURE","resultMessage":"Signature is invalid."}}`
		case "wrong-uri":
			signResponse(w, key, "/other", "2188120000000001", body)
		}
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	newClient := func(withKey bool) *Client {
		creds := map[string]string{CredClientID: "2188120000000001", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM}
		if withKey {
			creds[CredPlatformPublicKey] = SandboxPlatformPublicKeyPEM
		}
		c, err := New(providers.Config{Mode: providers.ModeLive, BaseURL: srv.URL, Credentials: creds})
		if err != nil {
			t.Fatal(err)
		}
		c.Backoff = nil
		return c
	}
	v := vals(ParamIdentityValue, "1-4154567899", ParamAuthenticationRequestID, "R1")
	mode = "good"
	l, err := newClient(true).Launch(context.Background(), v)
	if err != nil || l.References["authenticationId"] != "2022" {
		t.Fatalf("good: %v", err)
	}
	for _, n := range l.Notes {
		if strings.Contains(n, "NOT verified") {
			t.Fatal("verified answer noted as unverified")
		}
	}
	for _, m := range []string{"tampered", "unsigned", "wrong-uri"} {
		mode = m
		_, err := newClient(true).Launch(context.Background(), v)
		pe := asErr(t, err)
		if pe.Code != CodeResponseSignatureInvalid || pe.Kind != providers.KindUnknown {
			t.Errorf("%s: %+v", m, pe)
		}
	}
	mode = "unsigned-refusal"
	_, err = newClient(true).Launch(context.Background(), v)
	if pe := asErr(t, err); pe.Code != CodeInvalidSignature || pe.Kind != providers.KindRejected {
		t.Errorf("unsigned refusal: %+v", pe)
	}
	// Without a platform key the answer is used, and the launch says it was not verified.
	mode = "tampered"
	l, err = newClient(false).Launch(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	noted := false
	for _, n := range l.Notes {
		noted = noted || strings.Contains(n, "NOT verified")
	}
	if !noted || newClient(false).VerifiesResponses() {
		t.Fatalf("notes %q", l.Notes)
	}
}

func TestMalformedAnswers(t *testing.T) {
	answers := map[string]struct {
		status int
		body   string
		kind   providers.ErrorKind
	}{
		"not json":       {200, "<html>", providers.KindUnknown},
		"no result":      {200, `{"authenticationId":"1"}`, providers.KindUnknown},
		"odd status":     {200, `{"result":{"resultStatus":"X"}}`, providers.KindUnknown},
		"S without id":   {200, `{"result":{"resultStatus":"S","resultCode":"SUCCESS"}}`, providers.KindUnknown},
		"other id":       {200, `{"authenticationId":"1","authenticationRequestId":"OTHER","result":{"resultStatus":"S"}}`, providers.KindUnknown},
		"404 html":       {404, "not found", providers.KindRejected},
		"400 with F":     {400, `{"result":{"resultStatus":"F","resultCode":"PARAM_ILLEGAL"}}`, providers.KindRejected},
		"numeric result": {200, `{"result":{"resultStatus":1}}`, providers.KindUnknown},
	}
	for name, a := range answers {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(a.status)
			_, _ = io.WriteString(w, a.body)
		}))
		c, _ := New(providers.Config{Mode: providers.ModeLive, BaseURL: srv.URL, Credentials: map[string]string{
			CredClientID: SandboxClientID, CredPrivateKeyPEM: SandboxClientPrivateKeyPEM}})
		c.Backoff = nil
		_, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899", ParamAuthenticationRequestID, "R1"))
		if pe := asErr(t, err); pe.Kind != a.kind {
			t.Errorf("%s: %+v", name, pe)
		}
		srv.Close()
	}
}

func TestStatusWithoutQuery(t *testing.T) {
	sb := newSandbox(t, nil)
	l := launch(t, sb, "+44 7911 123456")
	n := len(sb.sim.Requests())
	st, err := sb.client.Status(context.Background(), l)
	if err != nil || st.State != providers.StatePending || !strings.Contains(st.Detail, "no status query") {
		t.Fatalf("%+v %v", st, err)
	}
	if len(sb.sim.Requests()) != n {
		t.Fatal("Status sent a request")
	}
	sb.clock.Advance(SessionTTL + time.Second)
	st, _ = sb.client.Status(context.Background(), l)
	if st.State != providers.StateExpired {
		t.Fatalf("after SessionTTL: %+v", st)
	}
	if _, err := sb.client.Status(context.Background(), &providers.Launch{Provider: "idenfy"}); err == nil {
		t.Fatal("foreign session accepted")
	}
}

func TestNonSandboxClientIDUsesLivePath(t *testing.T) {
	sim := NewSimulator(providers.SimOptions{Credentials: map[string]string{
		CredClientID: "2188120000000001", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM}})
	mux := http.NewServeMux()
	sim.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, err := New(providers.Config{Mode: providers.ModeLive, BaseURL: srv.URL, Credentials: map[string]string{
		CredClientID: "2188120000000001", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM, CredPlatformPublicKey: SandboxPlatformPublicKeyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	if err != nil {
		t.Fatal(err)
	}
	if p := sim.Requests()[0].Path; p != PathInitAuthentication {
		t.Fatalf("path %s", p)
	}
	ch, err := c.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if ch.SandboxCode != "" {
		t.Fatal("a live client got a sandbox code")
	}
}

func TestLiveModeNeverCopiesSandboxCode(t *testing.T) {
	sb := newSandbox(t, nil)
	c, err := New(providers.Config{Mode: providers.ModeLive, BaseURL: sb.srv.URL, Now: sb.clock.Now, Credentials: sandboxCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if ch.SandboxCode != "" || !ch.CodeExpires.IsZero() {
		t.Fatalf("live mode copied the sandbox extension: %+v", ch)
	}
}

func TestNewConfig(t *testing.T) {
	base := map[string]string{CredClientID: "2188120000000001", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM}
	cases := map[string]struct {
		cfg   providers.Config
		field string
	}{
		"no client id":    {providers.Config{Mode: providers.ModeLive, Credentials: map[string]string{CredPrivateKeyPEM: SandboxClientPrivateKeyPEM}}, CredClientID},
		"no key":          {providers.Config{Mode: providers.ModeLive, Credentials: map[string]string{CredClientID: "x"}}, CredPrivateKeyPEM},
		"bad key":         {providers.Config{Mode: providers.ModeLive, Credentials: map[string]string{CredClientID: "x", CredPrivateKeyPEM: "junk"}}, CredPrivateKeyPEM},
		"bad public key":  {providers.Config{Mode: providers.ModeLive, Credentials: map[string]string{CredClientID: "x", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM, CredPlatformPublicKey: "junk"}}, CredPlatformPublicKey},
		"unknown gateway": {providers.Config{Mode: providers.ModeLive, Credentials: base, Options: map[string]string{OptionGateway: "mars"}}, OptionGateway},
		"http live":       {providers.Config{Mode: providers.ModeLive, Credentials: base, BaseURL: "http://example.com"}, "base_url"},
		"bad keyVersion":  {providers.Config{Mode: providers.ModeLive, Credentials: base, Options: map[string]string{OptionKeyVersion: "one"}}, OptionKeyVersion},
	}
	for name, tc := range cases {
		_, err := New(tc.cfg)
		pe := asErr(t, err)
		if pe.Field != tc.field || pe.Kind != providers.KindInvalid {
			t.Errorf("%s: %+v", name, pe)
		}
		if strings.Contains(pe.Error(), "MII") {
			t.Errorf("%s: error shows key material", name)
		}
	}
	for gw, want := range map[string]string{"": GatewaySingapore, "singapore": GatewaySingapore, "NA": GatewayNorthAmerica, "north-america": GatewayNorthAmerica, "europe": GatewayEurope, "de": GatewayEurope} {
		c, err := New(providers.Config{Mode: providers.ModeLive, Credentials: base, Options: map[string]string{OptionGateway: gw}})
		if err != nil || c.baseURL != want {
			t.Errorf("gateway %q: %v %v", gw, c, err)
		}
	}
	c, err := New(providers.Config{Mode: providers.ModeLive, Credentials: base, BaseURL: "http://127.0.0.1:8470/", Options: map[string]string{OptionKeyVersion: "2"}})
	if err != nil || c.baseURL != "http://127.0.0.1:8470" {
		t.Fatalf("%v %v", c, err)
	}
	req, _ := c.Request(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	if !strings.Contains(req.Header.Get("Signature"), "keyVersion=2,") {
		t.Fatalf("signature header %q", req.Header.Get("Signature"))
	}
}

func TestDescriptor(t *testing.T) {
	d := Descriptor()
	if d.ID != "dws" || d.Name != "Alipay DWS OTP" || d.LiveURL != GatewaySingapore || d.BaseURLEnv != "KYCDESK_DWS_URL" {
		t.Fatalf("%+v", d)
	}
	envs := map[string]providers.Credential{}
	for _, c := range d.Credentials {
		envs[c.Env] = c
	}
	if c := envs["DWS_CLIENT_ID"]; c.Name != CredClientID || c.Secret {
		t.Errorf("client id %+v", c)
	}
	if c := envs["DWS_PRIVATE_KEY_FILE"]; c.Name != CredPrivateKeyPEM || !c.Secret || !c.File || c.Optional {
		t.Errorf("private key %+v", c)
	}
	if c := envs["DWS_PUBLIC_KEY_FILE"]; c.Name != CredPlatformPublicKey || !c.File || !c.Optional {
		t.Errorf("public key %+v", c)
	}
	if d.SandboxCredentials[CredClientID] != "SANDBOX_KYCDESK0001" || d.SandboxCredentials[CredPrivateKeyPEM] == "" || d.SandboxCredentials[CredPlatformPublicKey] == "" {
		t.Errorf("sandbox credentials %v", d.SandboxCredentials)
	}
	if d.ResolveBaseURL(map[string]string{OptionGateway: "eu"}) != GatewayEurope || d.ResolveBaseURL(nil) != GatewaySingapore {
		t.Error("ResolveBaseURL")
	}
	cl, err := d.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: "http://127.0.0.1:8470"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cl.(providers.Challenger); !ok {
		t.Fatal("the client is not a Challenger")
	}
	if d.NewSimulator(providers.SimOptions{}) == nil || len(d.Spec()) == 0 || d.OptionsDoc[OptionGateway] == "" {
		t.Fatal("descriptor parts missing")
	}
	// Sandbox key pairs match.
	cpriv, _ := ParsePrivateKey(SandboxClientPrivateKeyPEM)
	cpub, _ := ParsePublicKey(SandboxClientPublicKeyPEM)
	ppriv, _ := ParsePrivateKey(SandboxPlatformPrivateKeyPEM)
	ppub, _ := ParsePublicKey(SandboxPlatformPublicKeyPEM)
	if !cpriv.PublicKey.Equal(cpub) || !ppriv.PublicKey.Equal(ppub) || cpriv.N.BitLen() != 2048 || ppriv.N.BitLen() != 2048 {
		t.Fatal("sandbox key pairs do not match")
	}
}

func TestSpec(t *testing.T) {
	s := Spec()
	seen := map[string]bool{}
	for _, p := range s {
		if seen[p.Name] {
			t.Errorf("%s twice", p.Name)
		}
		seen[p.Name] = true
		if p.Doc == "" || p.Label == "" {
			t.Errorf("%s: no doc or label", p.Name)
		}
	}
	for _, name := range []string{ParamAuthenticationRequestID, ParamAuthenticationMethod, ParamAuthenticationType, ParamIdentityType, ParamIdentityValue, ParamCountry,
		"env.terminalType", "env.osType", "env.osVersion", "env.clientIp", "env.deviceModel", "env.language", "env.sessionId",
		"env.appVersion", "env.deviceTokenId", "env.tokenId", "env.umidTokenId", "env.clientUmid", "env.operateEntrance"} {
		if !seen[name] {
			t.Errorf("%s missing", name)
		}
	}
	id, _ := s.Lookup(ParamAuthenticationRequestID)
	if id.MaxLen != 64 || id.Generate == nil || !id.Required {
		t.Errorf("authenticationRequestId %+v", id)
	}
	iv, _ := s.Lookup(ParamIdentityValue)
	if iv.Kind != providers.KindPhone || !iv.Personal || !iv.Essential || !iv.Required {
		t.Errorf("identityValue %+v", iv)
	}
	at, _ := s.Lookup(ParamAuthenticationType)
	if !at.Essential || at.Unconfirmed == "" {
		t.Errorf("authenticationType %+v", at)
	}
	co, _ := s.Lookup(ParamCountry)
	if co.Kind != providers.KindCountry || !strings.Contains(co.Doc, "not sent") {
		t.Errorf("country %+v", co)
	}
	ip, _ := s.Lookup("env.clientIp")
	if providers.CheckValue(ip, "123.136.111.19") != "" || providers.CheckValue(ip, "175.***.**.***") == "" {
		t.Error("env.clientIp check")
	}
}
