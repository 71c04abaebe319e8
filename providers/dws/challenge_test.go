package dws

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

func TestTriggerAndVerify(t *testing.T) {
	sb := newSandbox(t, nil)
	l := launch(t, sb, "+44 7911 123456")
	ch, err := sb.client.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Triggered || ch.ChallengeID != l.References["authenticationId"] || len(ch.SandboxCode) != 6 || ch.RenderValue != "+44******3456" {
		t.Fatalf("challenge %+v", ch)
	}
	if !ch.CodeExpires.Equal(sb.clock.Now().Add(SimCodeTTL)) {
		t.Fatalf("code expires %v", ch.CodeExpires)
	}
	// The code is visible where a sandbox operator can see it: the log and the inbox.
	inbox := sb.sim.Inbox()
	if len(inbox) != 1 || inbox[0].Code != ch.SandboxCode || inbox[0].To != "+44******3456" {
		t.Fatalf("inbox %+v", inbox)
	}
	logged := false
	for _, line := range sb.Logs() {
		logged = logged || (strings.Contains(line, ch.SandboxCode) && strings.Contains(line, "+44******3456"))
		if strings.Contains(line, "7911123456") {
			t.Fatalf("log shows the full number: %q", line)
		}
	}
	if !logged {
		t.Fatalf("code not logged: %q", sb.Logs())
	}
	// The trigger body: its own idempotency id and challengeId = authenticationId.
	var tb map[string]string
	if err := json.Unmarshal([]byte(sb.bodies("/triggerChallenge")[0]), &tb); err != nil {
		t.Fatal(err)
	}
	if tb["challengeId"] != l.References["authenticationId"] || tb["triggerRequestId"] != TriggerRequestID(l.References[ParamAuthenticationRequestID], 1) || len(tb["triggerRequestId"]) > 64 {
		t.Fatalf("trigger body %v", tb)
	}
	st, err := sb.client.Verify(context.Background(), l, ch.SandboxCode)
	if err != nil || st.State != providers.StateApproved {
		t.Fatalf("verify: %+v %v", st, err)
	}
	// The body as documented, read with literal names (not the client's
	// constants): every member a string, the code in challengeData.
	var vb struct {
		AuthenticationRequestID string            `json:"authenticationRequestId"`
		AuthenticationID        string            `json:"authenticationId"`
		AuthenticationMethod    string            `json:"authenticationMethod"`
		AuthenticationType      string            `json:"authenticationType"`
		ChallengeData           map[string]string `json:"challengeData"`
	}
	raw := sb.bodies("/verifyAuthentication")[0]
	if err := json.Unmarshal([]byte(raw), &vb); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if vb.AuthenticationRequestID != l.References["authenticationRequestId"] || vb.AuthenticationID != l.References["authenticationId"] ||
		vb.AuthenticationMethod != "OTP" || vb.AuthenticationType != "SMS" ||
		vb.ChallengeData["challengeType"] != "SMS_OTP" || vb.ChallengeData["otpValue"] != ch.SandboxCode || len(vb.ChallengeData) != 2 ||
		strings.Contains(raw, "authenticationValue") {
		t.Fatalf("verify body %s", raw)
	}
	st, _ = sb.client.Status(context.Background(), l)
	if st.State != providers.StateApproved {
		t.Fatalf("status after verify %+v", st)
	}
	if _, err := sb.client.Trigger(context.Background(), l); err == nil {
		t.Fatal("a verified authentication sent another code")
	}
}

func TestTriggerCooldown(t *testing.T) {
	sb := newSandbox(t, nil)
	l := launch(t, sb, "+44 7911 123457")
	first, err := sb.client.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	code1 := first.SandboxCode
	sb.clock.Advance(10 * time.Second)
	if w := ResendWait(l, sb.clock.Now()); w != ResendCooldown-10*time.Second {
		t.Fatalf("ResendWait %v", w)
	}
	_, err = sb.client.Trigger(context.Background(), l)
	pe := asErr(t, err)
	if pe.Code != CodeResendTooSoon || pe.Kind != providers.KindInvalid || !strings.Contains(pe.Message, "wait 20 s") {
		t.Fatalf("%+v", pe)
	}
	if n := len(sb.bodies("/triggerChallenge")); n != 1 {
		t.Fatalf("an early resend was sent (%d)", n)
	}
	sb.clock.Advance(ResendCooldown)
	second, err := sb.client.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if second.SandboxCode == "" || l.Extra["codesSent"] != "2" {
		t.Fatalf("resend %+v %v", second, l.Extra)
	}
	bodies := sb.bodies("/triggerChallenge")
	if len(bodies) != 2 || !strings.Contains(bodies[1], TriggerRequestID(l.References[ParamAuthenticationRequestID], 2)) {
		t.Fatalf("resend bodies %q", bodies)
	}
	// The old code no longer works; the new one does.
	if code1 != second.SandboxCode {
		if _, err := sb.client.Verify(context.Background(), l, code1); asErr(t, err).Code != CodeOTPIncorrect {
			t.Fatalf("old code: %v", err)
		}
	}
	if st, err := sb.client.Verify(context.Background(), l, second.SandboxCode); err != nil || st.State != providers.StateApproved {
		t.Fatalf("new code: %v", err)
	}
}

func TestSendTimesExceedLimit(t *testing.T) {
	sb := newSandbox(t, nil)
	l := launch(t, sb, "+44 7911 123458")
	var err error
	for i := 0; i <= SimMaxSends; i++ {
		_, err = sb.client.Trigger(context.Background(), l)
		sb.clock.Advance(ResendCooldown)
	}
	pe := asErr(t, err)
	if pe.Code != CodeSendTimesExceedLimit || pe.Kind != providers.KindRejected || !strings.Contains(pe.Action, "Contact Alipay technical support") {
		t.Fatalf("%+v", pe)
	}
	// After a refusal the next try is a new request (a new triggerRequestId).
	_, err = sb.client.Trigger(context.Background(), l)
	asErr(t, err)
	bodies := sb.bodies("/triggerChallenge")
	if bodies[len(bodies)-1] == bodies[len(bodies)-2] {
		t.Fatal("a refused triggerRequestId was reused")
	}
}

func TestVerifyOutcomes(t *testing.T) {
	sb := newSandbox(t, nil)
	ctx := context.Background()

	// What cannot be a code is refused here, naming the field; nothing is
	// sent, so no attempt is spent.
	l := launch(t, sb, "+44 7911 200001")
	for _, bad := range []string{" ", "abc", "12345", "1234567", "12 3456", "١٢٣٤٥٦"} {
		pe := asErr(t, func() error { _, err := sb.client.Verify(ctx, l, bad); return err }())
		if pe.Kind != providers.KindInvalid || pe.Field != "code" || providers.AsError(pe).Kind != providers.KindInvalid {
			t.Fatalf("code %q: %+v", bad, pe)
		}
	}
	if len(sb.bodies("/verifyAuthentication")) != 0 {
		t.Fatal("sent")
	}
	// Before any code was sent, DWS (the simulator) says so.
	if _, err := sb.client.Verify(ctx, l, "123456"); asErr(t, err).Code != CodeProcessFail {
		t.Fatalf("verify before trigger: %v", err)
	}

	// Wrong code.
	ch, err := sb.client.Trigger(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if ch.SandboxCode == wrong {
		wrong = "111111"
	}
	st, err := sb.client.Verify(ctx, l, wrong)
	pe := asErr(t, err)
	if pe.Kind != providers.KindRejected || pe.Code != CodeOTPIncorrect || st == nil || st.State != providers.StatePending || !strings.Contains(pe.Message, "incorrect") {
		t.Fatalf("wrong code: %+v %+v", pe, st)
	}

	// Expired code, then a new code clears it.
	sb.clock.Advance(SimCodeTTL + time.Second)
	st, err = sb.client.Verify(ctx, l, ch.SandboxCode)
	pe = asErr(t, err)
	if pe.Code != CodeOTPExpired || st.State != providers.StateExpired || !strings.Contains(pe.Action, "new code") {
		t.Fatalf("expired: %+v %+v", pe, st)
	}
	if s, _ := sb.client.Status(ctx, l); s.State != providers.StateExpired {
		t.Fatalf("status after expiry %+v", s)
	}
	ch, err = sb.client.Trigger(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := sb.client.Status(ctx, l); s.State != providers.StatePending {
		t.Fatalf("status after a new code %+v", s)
	}

	// Too many attempts: locked, denied.
	for i := 0; i < SimMaxAttempts-2; i++ {
		if _, err := sb.client.Verify(ctx, l, wrong); asErr(t, err).Code != CodeOTPIncorrect {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	st, err = sb.client.Verify(ctx, l, wrong)
	pe = asErr(t, err)
	if pe.Code != CodeVerifyTimesExceedLimit || st.State != providers.StateDenied || !strings.Contains(pe.Action, "new session") {
		t.Fatalf("locked: %+v %+v", pe, st)
	}
	if s, _ := sb.client.Status(ctx, l); s.State != providers.StateDenied {
		t.Fatalf("status after lock %+v", s)
	}
	// Even the right code no longer helps, and no code is sent any more.
	if _, err := sb.client.Verify(ctx, l, ch.SandboxCode); asErr(t, err).Code != CodeVerifyTimesExceedLimit {
		t.Fatalf("after lock: %v", err)
	}
	if _, err := sb.client.Trigger(ctx, l); err == nil {
		t.Fatal("trigger after lock")
	}
	// The three outcomes have distinct codes and messages.
	seen := map[string]bool{}
	for _, c := range []string{CodeOTPIncorrect, CodeOTPExpired, CodeVerifyTimesExceedLimit} {
		info, _ := LookupCode(c)
		if seen[info.Meaning] {
			t.Fatal("shared message")
		}
		seen[info.Meaning] = true
	}
}

func TestTriggerUnknownRetriesSameBody(t *testing.T) {
	var n atomic.Int32
	sb := newSandbox(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/triggerChallenge") && n.Add(1) == 1 {
				// Processed, but the answer is lost.
				rec := &discard{header: http.Header{}}
				h.ServeHTTP(rec, r)
				http.Error(w, "gateway timeout", http.StatusGatewayTimeout)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	l := launch(t, sb, "+44 7911 200002")
	ch, err := sb.client.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	bodies := sb.bodies("/triggerChallenge")
	if len(bodies) != 2 || bodies[0] != bodies[1] {
		t.Fatalf("bodies %q", bodies)
	}
	// The retry was answered from the first request: one SMS only.
	if inbox := sb.sim.Inbox(); len(inbox) != 1 || inbox[0].Code != ch.SandboxCode {
		t.Fatalf("inbox %+v", inbox)
	}
}

type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func TestVerifyNotRetried(t *testing.T) {
	var n atomic.Int32
	sb := newSandbox(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/verifyAuthentication") {
				n.Add(1)
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	l := launch(t, sb, "+44 7911 200003")
	ch, err := sb.client.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sb.client.Verify(context.Background(), l, ch.SandboxCode)
	if pe := asErr(t, err); pe.Kind != providers.KindUnknown || n.Load() != 1 {
		t.Fatalf("%+v after %d", pe, n.Load())
	}
}

func TestTriggerNeedsALaunch(t *testing.T) {
	c := newSandbox(t, nil).client
	for _, l := range []*providers.Launch{nil, {Provider: "dws"}, {Provider: "idenfy", References: map[string]string{"authenticationId": "1", ParamAuthenticationRequestID: "2"}}} {
		if _, err := c.Trigger(context.Background(), l); asErr(t, err).Kind != providers.KindInvalid {
			t.Fatal("accepted")
		}
		if _, err := c.Verify(context.Background(), l, "123456"); asErr(t, err).Kind != providers.KindInvalid {
			t.Fatal("accepted")
		}
	}
}

func TestInboxPage(t *testing.T) {
	sb := newSandbox(t, nil)
	l := launch(t, sb, "+44 7911 200004")
	ch, err := sb.client.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (string, string) {
		resp, err := http.Get(sb.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return string(b), resp.Header.Get("Content-Type")
	}
	page, ct := get(SimPagePath)
	if !strings.HasPrefix(ct, "text/html") || !strings.Contains(page, "SMS inbox") || !strings.Contains(page, ch.SandboxCode) ||
		!strings.Contains(page, "44******0004") || strings.Contains(page, "7911200004") || !strings.Contains(page, SandboxSuffixUnknownOnce) {
		t.Fatalf("page:\n%s", page)
	}
	js, _ := get(SimPagePath + "inbox.json")
	var list []SimSMS
	if err := json.Unmarshal([]byte(js), &list); err != nil || len(list) != 1 || list[0].Code != ch.SandboxCode {
		t.Fatalf("inbox.json %s %v", js, err)
	}
	found := false
	for _, n := range l.Notes {
		found = found || strings.Contains(n, sb.srv.URL+SimPagePath)
	}
	if !found {
		t.Fatalf("no note pointing at the inbox: %q", l.Notes)
	}
}

func TestTriggerRequestIDs(t *testing.T) {
	long := strings.Repeat("x", 64)
	a, b := TriggerRequestID(long, 1), TriggerRequestID(long, 2)
	if a == b || a != TriggerRequestID(long, 1) || len(a) > 64 || len(b) > 64 {
		t.Fatalf("%q %q", a, b)
	}
}

// The CLI verifies in another process, from the journal's copy of the
// launch, which was written before the code was sent.
func TestVerifyFromJournalCopy(t *testing.T) {
	sb := newSandbox(t, nil)
	l := launch(t, sb, "+44 7911 200005")
	stored := &providers.Launch{Provider: l.Provider, References: l.References, ExpiresAt: l.ExpiresAt, Customer: l.Customer,
		Extra:     map[string]string{ParamAuthenticationType: "SMS"},
		Challenge: &providers.Challenge{Type: l.Challenge.Type, RenderValue: l.Challenge.RenderValue, ChallengeID: l.Challenge.ChallengeID}}
	ch, err := sb.client.Trigger(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sb.client.Verify(context.Background(), stored, ch.SandboxCode)
	if err != nil || st.State != providers.StateApproved {
		t.Fatalf("%+v %v", st, err)
	}
}

// CheckCode is the provider-level check every front end uses before
// sending: `verify --code abc` exits 2 with nothing sent.
func TestCheckCode(t *testing.T) {
	for _, ok := range []string{"472556", " 000000 "} {
		if err := CheckCode(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "abc", "47255", "4725567", "47 556", "472-56", "４７２５５６"} {
		err := CheckCode(bad)
		pe, ok := err.(*providers.Error)
		if !ok || pe.Kind != providers.KindInvalid || pe.Field != "code" || providers.AsError(err).Kind != providers.KindInvalid || pe.Message == "" {
			t.Errorf("%q: %#v", bad, err)
		}
	}
}
