package dws

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// raw sends a hand-built request to the simulator, signed with the sandbox
// client key unless sig is given, and returns the status, the result and the
// answer's headers and body.
type rawReq struct {
	method, path, clientID, reqTime, sig, body, contentType string
}

func rawCall(t *testing.T, srvURL string, r rawReq) (int, Result, http.Header, []byte) {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.clientID == "" {
		r.clientID = SandboxClientID
	}
	if r.reqTime == "" {
		r.reqTime = "1700000000000"
	}
	if r.sig == "" {
		key, _ := ParsePrivateKey(SandboxClientPrivateKeyPEM)
		s, _ := Sign(key, SignContent("POST", r.path, r.clientID, r.reqTime, []byte(r.body)))
		r.sig = "algorithm=RSA256, keyVersion=1, signature=" + s
	}
	req, _ := http.NewRequest(r.method, srvURL+r.path, strings.NewReader(r.body))
	req.Header.Set("Client-Id", r.clientID)
	req.Header.Set("Request-Time", r.reqTime)
	req.Header.Set("Signature", r.sig)
	ct := r.contentType
	if ct == "" {
		ct = "application/json; charset=UTF-8"
	}
	req.Header.Set("Content-Type", ct)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	_, res, _ := DecodeResponse(body)
	return resp.StatusCode, res, resp.Header, body
}

const sbInit = "/ams/sandbox/api/v1/customers/initAuthentication"

func initBodyJSON(id, number string) string {
	return `{"authenticationRequestId":"` + id + `","authenticationMethod":"OTP","authenticationType":"SMS","identityType":"MOBILENO","identityValue":"` + number + `"}`
}

func TestSimulatorChecks(t *testing.T) {
	sb := newSandbox(t, nil)
	u := sb.srv.URL
	key, _ := ParsePrivateKey(SandboxClientPrivateKeyPEM)
	otherSig := func(body string) string {
		s, _ := Sign(key, SignContent("POST", sbInit, SandboxClientID, "1700000000001", []byte(body)))
		return "algorithm=RSA256,keyVersion=1,signature=" + s
	}
	ok := initBodyJSON("SIM-1", "1-4154567899")
	cases := []struct {
		name   string
		r      rawReq
		code   string
		signed bool
	}{
		{"ok", rawReq{path: sbInit, body: ok}, CodeSuccess, true},
		{"unknown client", rawReq{path: sbInit, body: ok, clientID: "SANDBOX_OTHER"}, CodeInvalidClient, false},
		{"live path for a sandbox id", rawReq{path: PathInitAuthentication, body: ok}, CodeInvalidAPI, true},
		{"bad signature", rawReq{path: sbInit, body: ok, sig: otherSig(ok)}, CodeInvalidSignature, false},
		{"no signature", rawReq{path: sbInit, body: ok, sig: "algorithm=RSA256"}, CodeInvalidSignature, false},
		{"bad time", rawReq{path: sbInit, body: ok, reqTime: "yesterday"}, CodeParamIllegal, true},
		{"iso time", rawReq{path: sbInit, body: initBodyJSON("SIM-ISO", "1-4154567899"), reqTime: "2019-04-04T12:08:56.253+05:30"}, CodeSuccess, true},
		{"not json", rawReq{path: sbInit, body: "id=1"}, CodeParamIllegal, true},
		{"wrong content type", rawReq{path: sbInit, body: ok, contentType: "text/plain"}, CodeParamIllegal, true},
		{"number not string", rawReq{path: sbInit, body: `{"authenticationRequestId":"SIM-2","authenticationMethod":"OTP","authenticationType":"SMS","identityType":"MOBILENO","identityValue":14154567899}`}, CodeParamIllegal, true},
		{"env number", rawReq{path: sbInit, body: `{"authenticationRequestId":"SIM-3","authenticationMethod":"OTP","authenticationType":"SMS","identityType":"MOBILENO","identityValue":"1-4154567899","env":{"osVersion":10}}`}, CodeParamIllegal, true},
		{"no id", rawReq{path: sbInit, body: initBodyJSON("", "1-4154567899")}, CodeParamIllegal, true},
		{"long id", rawReq{path: sbInit, body: initBodyJSON(strings.Repeat("a", 65), "1-4154567899")}, CodeParamIllegal, true},
		{"password", rawReq{path: sbInit, body: strings.Replace(initBodyJSON("SIM-4", "1-4154567899"), `"OTP"`, `"PASSWORD"`, 1)}, CodeParamIllegal, true},
		{"email", rawReq{path: sbInit, body: strings.Replace(initBodyJSON("SIM-5", "1-4154567899"), `"SMS"`, `"EMAIL"`, 1)}, CodeParamIllegal, true},
		{"e164 with plus", rawReq{path: sbInit, body: initBodyJSON("SIM-6", "+14154567899")}, CodeInvalidPhoneNumber, true},
		{"leading zero", rawReq{path: sbInit, body: initBodyJSON("SIM-7", "44-02044555666")}, CodeInvalidPhoneNumber, true},
		{"unknown country", rawReq{path: sbInit, body: initBodyJSON("SIM-8", "999-12345678")}, CodeInvalidPhoneNumber, true},
		{"too long", rawReq{path: sbInit, body: initBodyJSON("SIM-9", "44-20445556661234")}, CodeInvalidPhoneNumber, true},
		{"italy keeps its 0", rawReq{path: sbInit, body: initBodyJSON("SIM-10", "39-0669820000")}, CodeSuccess, true},
		{"unknown API", rawReq{path: "/ams/sandbox/api/v1/customers/registerSomething", body: ok}, CodeInvalidAPI, true},
		{"GET", rawReq{method: http.MethodGet, path: sbInit}, CodeMethodNotSupported, true},
		{"unknown challenge", rawReq{path: "/ams/sandbox/api/v1/security/triggerChallenge", body: `{"triggerRequestId":"T1","challengeId":"nope"}`}, CodeParamIllegal, true},
		{"no challenge", rawReq{path: "/ams/sandbox/api/v1/security/triggerChallenge", body: `{"triggerRequestId":"T2"}`}, CodeParamIllegal, true},
	}
	platform, _ := ParsePublicKey(SandboxPlatformPublicKeyPEM)
	for _, tc := range cases {
		status, res, h, body := rawCall(t, u, tc.r)
		if res.ResultCode != tc.code {
			t.Errorf("%s: %d %s (%s)", tc.name, status, res.ResultCode, body)
			continue
		}
		sig := h.Get("Signature")
		if tc.signed != (sig != "") {
			t.Errorf("%s: signed=%v", tc.name, sig != "")
			continue
		}
		if sig != "" {
			// Verify the answer independently of the client.
			_, _, s, err := ParseSignatureHeader(sig)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(platform, SignContent("POST", tc.r.path, SandboxClientID, h.Get("Response-Time"), body), s); err != nil {
				t.Errorf("%s: answer signature: %v", tc.name, err)
			}
			if _, err := time.Parse(time.RFC3339, h.Get("Response-Time")); err != nil {
				t.Errorf("%s: Response-Time %q", tc.name, h.Get("Response-Time"))
			}
		}
	}
}

func TestSimulatorIdempotentReplay(t *testing.T) {
	sb := newSandbox(t, nil)
	body := initBodyJSON("SIM-IDEM", "1-4154567899")
	_, r1, _, b1 := rawCall(t, sb.srv.URL, rawReq{path: sbInit, body: body})
	sb.clock.Advance(time.Minute)
	_, r2, _, b2 := rawCall(t, sb.srv.URL, rawReq{path: sbInit, body: body, reqTime: "1700000060000"})
	if r1.ResultStatus != "S" || !bytes.Equal(b1, b2) {
		t.Fatalf("replay differs:\n%s\n%s", b1, b2)
	}
	// Whitespace is a different body.
	_, r3, _, _ := rawCall(t, sb.srv.URL, rawReq{path: sbInit, body: body + " "})
	if r3.ResultCode != CodeRepeatReqInconsistent || r2.ResultCode != CodeSuccess {
		t.Fatalf("%+v", r3)
	}
	// An F is final too.
	bad := initBodyJSON("SIM-IDEM-F", "44-02044555666")
	_, f1, _, fb1 := rawCall(t, sb.srv.URL, rawReq{path: sbInit, body: bad})
	_, _, _, fb2 := rawCall(t, sb.srv.URL, rawReq{path: sbInit, body: bad})
	if f1.ResultCode != CodeInvalidPhoneNumber || !bytes.Equal(fb1, fb2) {
		t.Fatalf("F replay: %s / %s", fb1, fb2)
	}
}

func TestSimulatorSandboxExtensionOnlyForSandboxIDs(t *testing.T) {
	sim := NewSimulator(providers.SimOptions{Credentials: map[string]string{CredClientID: "2188120000000001", "publicKeyPEM": SandboxClientPublicKeyPEM}})
	mux := http.NewServeMux()
	sim.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// The operator's own credentials in sandbox mode: their live DWS public
	// key (here any other key) is not the simulator's; sandbox mode verifies
	// with the sandbox platform key.
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Credentials: map[string]string{
		CredClientID: "2188120000000001", CredPrivateKeyPEM: SandboxClientPrivateKeyPEM, CredPlatformPublicKey: SandboxClientPublicKeyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Trigger(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	for _, r := range sim.Requests() {
		if r.Path != PathInitAuthentication && r.Path != PathTriggerChallenge {
			t.Fatalf("path %s", r.Path)
		}
	}
	if l.Challenge.SandboxCode != "" {
		t.Fatal("a non-sandbox client id got the sandbox code")
	}
	if len(sim.Inbox()) != 1 {
		t.Fatal("no SMS in the inbox")
	}
}

func TestSimulatorMisconfigured(t *testing.T) {
	var logged []string
	sim := NewSimulator(providers.SimOptions{Credentials: map[string]string{CredClientID: "2188120000000001", "publicKeyPEM": "junk"},
		Logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }})
	mux := http.NewServeMux()
	sim.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, res, _, _ := rawCall(t, srv.URL, rawReq{path: PathInitAuthentication, clientID: "2188120000000001", body: initBodyJSON("X", "1-4154567899")})
	if res.ResultCode != CodeProcessFail || len(logged) == 0 {
		t.Fatalf("%+v %q", res, logged)
	}
}

func TestSimulatorConcurrent(t *testing.T) {
	sb := newSandbox(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	v := sb.client.Prepare(vals(ParamIdentityValue, "+44 7911 300000"))
	ids := make(chan string, 10)
	for i := 0; i < 10; i++ {
		wg.Add(2)
		go func() { // the same request, concurrently: one authentication
			defer wg.Done()
			l, err := sb.client.Launch(context.Background(), v)
			if err != nil {
				errs <- err
				return
			}
			ids <- l.References["authenticationId"]
		}()
		go func(i int) { // different numbers
			defer wg.Done()
			l, err := sb.client.Launch(context.Background(), vals(ParamIdentityValue, fmt.Sprintf("+44 7911 4%05d", i)))
			if err != nil {
				errs <- err
				return
			}
			if _, err := sb.client.Trigger(context.Background(), l); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Error(err)
	}
	first := ""
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first {
			t.Fatal("one request id gave two authentications")
		}
	}
	if len(sb.sim.Inbox()) != 10 {
		t.Fatalf("inbox %d", len(sb.sim.Inbox()))
	}
}

func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"actionForm":{"challengeRenderValue":"+60******6353","challengeType":"sms"},"authenticationId":"20220105190077000000162140200586657","authenticationRequestId":"MDEDUCT001bd856ad81cec1e91a620c270bcba5a4223","result":{"resultCode":"SUCCESS","resultMessage":"success.","resultStatus":"S"}}`,
		`{"result":{"resultStatus":"F","resultCode":"REPEAT_REQ_INCONSISTENT","resultMessage":"\u001b[31mx"}}`,
		`{"result":{"resultStatus":"U"}}`, `{"result":null}`, `[]`, `null`, `{"result":{"resultStatus":1}}`, `{"actionForm":[1,2],"result":{"resultStatus":"S"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, res, err := DecodeResponse(body)
		if err != nil {
			return
		}
		if res.ResultStatus == "" {
			t.Fatal("decoded without a status")
		}
		_ = str(env, "authenticationId")
		ch := &providers.Challenge{}
		applyActionForm(ch, object(env, "actionForm"))
		if strings.ContainsAny(ch.Type+ch.RenderValue, "\x1b\x07") {
			t.Fatalf("escape in challenge %+v", ch)
		}
		pe := failure(200, res, "initAuthentication", ParamAuthenticationRequestID, "R1")
		if pe.Kind != providers.KindRejected || strings.ContainsAny(pe.Message+pe.Code, "\x1b\x07\r\n") {
			t.Fatalf("failure %+v", pe)
		}
	})
}

func FuzzSimFields(f *testing.F) {
	f.Add([]byte(initBodyJSON("A", "1-4154567899")))
	f.Add([]byte(`{"env":{"a":"b"},"x":["y"]}`))
	f.Add([]byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, msg := simFields(body)
		if msg == "" && m == nil {
			t.Fatal("no fields and no message")
		}
		if msg == "" && !json.Valid(body) {
			t.Fatal("invalid JSON accepted")
		}
	})
}

// What the sandbox does when DWS_* variables are set: the simulator gets the
// client id only; the sandbox-mode client has the operator's own key files.
func TestSandboxWithOperatorCredentials(t *testing.T) {
	sim := NewSimulator(providers.SimOptions{Credentials: map[string]string{CredClientID: "2188120000000001"}})
	mux := http.NewServeMux()
	sim.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	own, _ := rsa.GenerateKey(rand.Reader, 2048)
	ownPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(own)}))
	c, err := New(providers.Config{Mode: providers.ModeSandbox, BaseURL: srv.URL, Credentials: map[string]string{
		CredClientID: "2188120000000001", CredPrivateKeyPEM: ownPEM, CredPlatformPublicKey: SandboxClientPublicKeyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Launch(context.Background(), vals(ParamIdentityValue, "1-4154567899"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Trigger(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	code := sim.Inbox()[0].Code
	if st, err := c.Verify(context.Background(), l, code); err != nil || st.State != providers.StateApproved {
		t.Fatalf("%v %v", st, err)
	}
	if c.ClientID() != "2188120000000001" || sim.Requests()[0].Path != PathInitAuthentication {
		t.Fatal("the operator's client id was not used")
	}
	masked := false
	for _, s := range c.Secrets() {
		masked = masked || s == ownPEM
	}
	if !masked {
		t.Fatal("the operator's key is not in Secrets")
	}
}

const sbVerify = "/ams/sandbox/api/v1/security/verifyAuthentication"

// TestSimulatorVerifyChecks: the simulator's verifyAuthentication rules,
// written from docs/ac/dws2/verifyauthentication and verifyandresume, with
// hand-written bodies (not the client's).
func TestSimulatorVerifyChecks(t *testing.T) {
	sb := newSandbox(t, nil)
	u := sb.srv.URL
	_, res, _, body := rawCall(t, u, rawReq{path: sbInit, body: initBodyJSON("SIM-1", "1-4154567899")})
	var init struct {
		AuthenticationID string `json:"authenticationId"`
	}
	if res.ResultCode != CodeSuccess || json.Unmarshal(body, &init) != nil || init.AuthenticationID == "" {
		t.Fatalf("init: %s", body)
	}
	simAuthID := init.AuthenticationID
	cases := []struct {
		name   string
		r      rawReq
		code   string
		signed bool
	}{
		{"verify unknown", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-1","authenticationId":"nope","challengeData":{"challengeType":"SMS_OTP","otpValue":"123456"}}`}, CodeParamIllegal, true},
		{"verify no code", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-1","authenticationId":"` + simAuthID + `","challengeData":{"challengeType":"SMS_OTP"}}`}, CodeParamIllegal, true},
		{"verify no challengeData", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-1","authenticationId":"` + simAuthID + `","otpValue":"123456"}`}, CodeParamIllegal, true},
		{"verify legacy authenticationValue", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-1","authenticationId":"` + simAuthID + `","authenticationValue":"123456"}`}, CodeParamIllegal, true},
		{"verify no authenticationId", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-1","challengeData":{"challengeType":"SMS_OTP","otpValue":"123456"}}`}, CodeParamIllegal, true},
		{"verify wrong challengeType", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-1","authenticationId":"` + simAuthID + `","challengeData":{"challengeType":"PAYMENT_PASSWORD","otpValue":"123456"}}`}, CodeParamIllegal, true},
		{"verify otpValue number", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-1","authenticationId":"` + simAuthID + `","challengeData":{"challengeType":"SMS_OTP","otpValue":123456}}`}, CodeParamIllegal, true},
		{"verify other request id", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-2","authenticationId":"` + simAuthID + `","challengeData":{"challengeType":"SMS_OTP","otpValue":"123456"}}`}, CodeParamIllegal, true},
		{"verify before trigger", rawReq{path: sbVerify, body: `{"authenticationRequestId":"SIM-1","authenticationId":"` + simAuthID + `","challengeData":{"challengeType":"SMS_OTP","otpValue":"123456"}}`}, CodeProcessFail, true},
	}
	for _, tc := range cases {
		status, res, h, body := rawCall(t, u, tc.r)
		if res.ResultCode != tc.code || tc.signed != (h.Get("Signature") != "") {
			t.Errorf("%s: %d %s (%s)", tc.name, status, res.ResultCode, body)
		}
	}
}
