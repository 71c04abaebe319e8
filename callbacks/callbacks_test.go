package callbacks

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/alibaba"
	"github.com/kycdesk/kycdesk/providers/idenfy"
)

// memSink is a Sink in memory: sessions by provider and reference, and the
// statuses recorded for them.
type memSink struct {
	mu       sync.Mutex
	sessions map[string]*Session
	recorded map[string][]*providers.Status
	proofs   map[string][]Proof
	fail     error
	down     error // the store does not answer at all: Session fails too
}

func (m *memSink) setDown(err error) {
	m.mu.Lock()
	m.down = err
	m.mu.Unlock()
}

func newSink() *memSink {
	return &memSink{sessions: map[string]*Session{}, recorded: map[string][]*providers.Status{}, proofs: map[string][]Proof{}}
}

func (m *memSink) add(provider, ref string, s *Session) {
	m.mu.Lock()
	m.sessions[provider+"/"+ref] = s
	m.mu.Unlock()
}

func (m *memSink) Session(ctx context.Context, provider, ref string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down != nil {
		return nil, m.down
	}
	s := m.sessions[provider+"/"+ref]
	if s == nil {
		return nil, ErrUnknownSession
	}
	cp := *s
	if r := m.recorded[provider+"/"+ref]; len(r) > 0 {
		cp.Final = r[len(r)-1].State.Final()
	}
	return &cp, nil
}

func (m *memSink) Record(ctx context.Context, provider, ref string, st *providers.Status, proof Proof) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	if m.sessions[provider+"/"+ref] == nil {
		return ErrUnknownSession
	}
	if m.down != nil {
		return m.down
	}
	m.recorded[provider+"/"+ref] = append(m.recorded[provider+"/"+ref], st)
	m.proofs[provider+"/"+ref] = append(m.proofs[provider+"/"+ref], proof)
	return nil
}

func (m *memSink) proofsOf(provider, ref string) []Proof {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Proof(nil), m.proofs[provider+"/"+ref]...)
}

// statusClient is a provider client whose status API answers st and
// counts the requests.
type statusClient struct {
	providers.Client
	st    providers.Status
	asked atomic.Int32
}

func (c *statusClient) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	c.asked.Add(1)
	st := c.st
	return &st, nil
}

func (m *memSink) statuses(provider, ref string) []*providers.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*providers.Status(nil), m.recorded[provider+"/"+ref]...)
}

var signingKey = []byte("desk-signing-key")

func post(t *testing.T, h http.Handler, body []byte, sig string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, IdenfyPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(idenfy.SignatureHeader, sig)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestIdenfyWebhookSignature(t *testing.T) {
	sink := newSink()
	api := &statusClient{st: providers.Status{State: providers.StatePending, Detail: "iDenfy status: ACTIVE"}}
	sink.add("idenfy", "scan-ref", &Session{Launch: &providers.Launch{Provider: "idenfy"}, Client: api})
	clock := clocktest.New(time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	r := New(sink, Options{IdenfySigningKey: signingKey, Now: clock.Now})
	body, err := os.ReadFile("../providers/idenfy/testdata/webhook.1.json")
	if err != nil {
		t.Fatal(err)
	}
	// Unsigned, badly signed, signed over other bytes: each answered 200
	// (iDenfy shows the customer a failure page otherwise), none recorded
	// from its body; the first makes one status request, the others come
	// within 10 s of it and ask nothing more.
	if rec := post(t, r, body, ""); rec.Code != http.StatusOK {
		t.Fatalf("unsigned: %d", rec.Code)
	}
	if rec := post(t, r, body, idenfy.SignWebhook([]byte("TestingKey"), body)); rec.Code != http.StatusOK {
		t.Fatalf("bad signature: %d", rec.Code)
	}
	if rec := post(t, r, bytes.ReplaceAll(body, []byte("\n"), nil), idenfy.SignWebhook(signingKey, body)); rec.Code != http.StatusOK {
		t.Fatalf("body changed: %d", rec.Code)
	}
	r.Wait()
	if got := sink.statuses("idenfy", "scan-ref"); len(got) != 1 || got[0].Detail != "iDenfy status: ACTIVE" ||
		!slices.Equal(sink.proofsOf("idenfy", "scan-ref"), []Proof{ProofAPI}) || api.asked.Load() != 1 {
		t.Fatalf("recorded from unverified webhooks: %+v (asked %d)", got, api.asked.Load())
	}
	if r.Count("idenfy", Refused, ReasonUnsigned) != 1 || r.Count("idenfy", Refused, ReasonBadSignature) != 2 ||
		r.Count("idenfy", Refused, ReasonAskedRecently) != 2 || r.Count("idenfy", Accepted, ReasonAsked) != 1 {
		t.Fatalf("counts %+v", r.Counts())
	}
	if !strings.Contains(r.SignatureProblem(), "IDENFY_WEBHOOK_SIGNING_KEY") {
		t.Errorf("signature problem = %q", r.SignatureProblem())
	}
	// 10 s later, another unverified one asks again.
	clock.Advance(MinAskInterval)
	post(t, r, body, "")
	r.Wait()
	if api.asked.Load() != 2 {
		t.Fatalf("asked %d times", api.asked.Load())
	}
	if rec := post(t, r, body, idenfy.SignWebhook(signingKey, body)); rec.Code != http.StatusOK {
		t.Fatalf("good signature: %d %s", rec.Code, rec.Body)
	}
	got := sink.statuses("idenfy", "scan-ref")
	if p := sink.proofsOf("idenfy", "scan-ref"); len(got) != 3 || got[2].State != providers.StatePending || p[2] != ProofSignature {
		t.Fatalf("%+v %v", got, p)
	}
	if r.SignatureProblem() != "" {
		t.Errorf("a good webhook clears the problem: %q", r.SignatureProblem())
	}

	// Without a key, no webhook is recorded from its body: a forged
	// approval only makes kycdesk ask.
	forged := []byte(`{"scanRef":"scan-ref","final":true,"status":{"overall":"APPROVED"}}`)
	open := New(sink, Options{})
	if rec := post(t, open, forged, ""); rec.Code != http.StatusOK || open.Count("idenfy", Refused, ReasonUnsigned) != 1 {
		t.Fatalf("no key: %d %+v", rec.Code, open.Counts())
	}
	open.Wait()
	for _, st := range sink.statuses("idenfy", "scan-ref") {
		if st.State == providers.StateApproved {
			t.Fatal("a forged approval was recorded")
		}
	}
	// An unknown reference asks nothing.
	post(t, open, []byte(`{"scanRef":"nobody","final":true,"status":{"overall":"APPROVED"}}`), "")
	open.Wait()
	if api.asked.Load() != 3 {
		t.Errorf("asked %d times", api.asked.Load())
	}
}

func TestIdenfyFinalFalseThenTrue(t *testing.T) {
	sink := newSink()
	sink.add("idenfy", "s1", &Session{Launch: &providers.Launch{Provider: "idenfy"}})
	r := New(sink, Options{IdenfySigningKey: signingKey})
	auto := []byte(`{"scanRef":"s1","clientId":"c","final":false,"status":{"overall":"SUSPECTED","autoFace":"FACE_MATCH","autoDocument":"DOC_VALIDATED","fraudTags":["FACE_SUSPECTED"],"mismatchTags":[]}}`)
	manual := []byte(`{"scanRef":"s1","clientId":"c","final":true,"status":{"overall":"APPROVED","autoFace":"FACE_MATCH","manualFace":"FACE_MATCH","autoDocument":"DOC_VALIDATED","manualDocument":"DOC_VALIDATED","fraudTags":[],"mismatchTags":[]}}`)
	if rec := post(t, r, auto, idenfy.SignWebhook(signingKey, auto)); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	got := sink.statuses("idenfy", "s1")
	if len(got) != 1 || got[0].State != providers.StatePending || got[0].Fields["overall"] != "SUSPECTED" || got[0].Fields["final"] != "false" {
		t.Fatalf("after final:false %+v", got)
	}
	if rec := post(t, r, manual, idenfy.SignWebhook(signingKey, manual)); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	got = sink.statuses("idenfy", "s1")
	if len(got) != 2 || got[1].State != providers.StateApproved || got[1].Fields["manualFace"] != "FACE_MATCH" {
		t.Fatalf("after final:true %+v", got)
	}
	// A redelivery of the final webhook goes to the store, whose rules
	// make it a no-op (session/storetest); it is answered 200.
	if rec := post(t, r, manual, idenfy.SignWebhook(signingKey, manual)); rec.Code != http.StatusOK || len(sink.statuses("idenfy", "s1")) != 3 {
		t.Fatalf("redelivery: %d %+v", rec.Code, r.Counts())
	}
	// Unknown sessions are answered 200 (no retries) but not recorded.
	other := []byte(`{"scanRef":"elsewhere","final":true,"status":{"overall":"APPROVED"}}`)
	if rec := post(t, r, other, idenfy.SignWebhook(signingKey, other)); rec.Code != http.StatusOK || r.Count("idenfy", Refused, ReasonUnknownSession) != 1 {
		t.Fatalf("unknown: %d", rec.Code)
	}
	// A store failure makes iDenfy retry.
	sink.add("idenfy", "s2", &Session{Launch: &providers.Launch{Provider: "idenfy"}})
	sink.fail = io.ErrUnexpectedEOF
	s2 := []byte(`{"scanRef":"s2","final":true,"status":{"overall":"DENIED"}}`)
	if rec := post(t, r, s2, idenfy.SignWebhook(signingKey, s2)); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("store error: %d", rec.Code)
	}
}

func TestOversizedAndSanitized(t *testing.T) {
	sink := newSink()
	sink.add("idenfy", "s1", &Session{Launch: &providers.Launch{Provider: "idenfy"}})
	r := New(sink, Options{IdenfySigningKey: signingKey})
	big := []byte(`{"scanRef":"s1","final":true,"status":{"overall":"APPROVED"},"pad":"` + strings.Repeat("x", 70<<10) + `"}`)
	if rec := post(t, r, big, idenfy.SignWebhook(signingKey, big)); rec.Code != http.StatusRequestEntityTooLarge || r.Count("idenfy", Refused, ReasonTooLarge) != 1 {
		t.Fatalf("oversized: %d", rec.Code)
	}
	q := url.Values{"transactionId": {"t"}, "callbackToken": {strings.Repeat("a", 5000)}}
	rec := httptest.NewRecorder()
	New(sink, Options{AlibabaKey: []byte("k")}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, AlibabaPath+"?"+q.Encode(), nil))
	if rec.Code != http.StatusRequestURITooLong {
		t.Fatalf("long query: %d", rec.Code)
	}
	evil := []byte("{\"scanRef\":\"s1\",\"final\":true,\"status\":{\"overall\":\"DENIED\",\"autoFace\":\"\\u001b]52;c;aGk=\\u0007\\u001b[2J\"}}")
	if rec := post(t, r, evil, idenfy.SignWebhook(signingKey, evil)); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	st := sink.statuses("idenfy", "s1")[0]
	for _, s := range append([]string{st.Detail}, st.Fields["autoFace"]) {
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Fatalf("escape sequence kept: %q", s)
		}
	}
	// Wrong methods.
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, IdenfyPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatal(rec.Code)
	}
}

// fakeAlibaba counts CheckResult calls and answers a fixed status.
type fakeAlibaba struct {
	providers.Client
	calls atomic.Int32
	state providers.State
}

func (f *fakeAlibaba) Status(ctx context.Context, l *providers.Launch) (*providers.Status, error) {
	f.calls.Add(1)
	return &providers.Status{State: f.state, Detail: "passed (SubCode 200)", Fields: map[string]string{"Passed": "Y", "SubCode": "200"}}, nil
}

func get(h http.Handler, q url.Values) int {
	code, _ := getBody(h, q)
	return code
}

func getBody(h http.Handler, q url.Values) (int, string) {
	rec := httptest.NewRecorder()
	target := AlibabaPath
	if q != nil {
		target += "?" + q.Encode()
	}
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Body.String()
}

// TestAlibabaReachabilityCheck: a bare GET (what Alibaba's check that
// CallbackUrl is reachable looks like) is answered 200 and changes nothing.
func TestAlibabaReachabilityCheck(t *testing.T) {
	sink := newSink()
	client := &fakeAlibaba{state: providers.StateApproved}
	sink.add("alibaba", "tx1", &Session{Launch: &providers.Launch{Provider: "alibaba",
		References: map[string]string{"TransactionId": "tx1", "MerchantBizId": "BIZ1"}}, Client: client})
	r := New(sink, Options{AlibabaKey: []byte("receiver-key")})
	for _, q := range []url.Values{nil, {}, {"callbackToken": {"x"}}, {"passed": {"Y"}, "subCode": {"200"}}} {
		if code, body := getBody(r, q); code != http.StatusOK || body != alibaba.CallbackAnswerBody {
			t.Errorf("GET %s?%s: %d %q, want 200 %q", AlibabaPath, q.Encode(), code, body, alibaba.CallbackAnswerBody)
		}
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, AlibabaPath, nil))
	if rec.Code != http.StatusOK {
		t.Errorf("HEAD: %d", rec.Code)
	}
	r.Wait()
	if client.calls.Load() != 0 || len(sink.statuses("alibaba", "tx1")) != 0 {
		t.Fatalf("a reachability check asked CheckResult (%d) or recorded something", client.calls.Load())
	}
	if n := r.Count("alibaba", Accepted, ReasonProbe); n != 5 {
		t.Fatalf("probes counted %d, want 5 (%+v)", n, r.Counts())
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, AlibabaPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}

// TestAlibabaOneAnswer: an unknown transaction, a wrong token, a forged
// one, a missing one and a good callback get the same status and body; a
// prober cannot tell which transactions exist. Only the good one asks
// CheckResult, and its answer (not the callback's passed=N) is recorded.
func TestAlibabaOneAnswer(t *testing.T) {
	key := []byte("receiver-key")
	sink := newSink()
	client := &fakeAlibaba{state: providers.StateApproved}
	sink.add("alibaba", "tx1", &Session{Launch: &providers.Launch{Provider: "alibaba",
		References: map[string]string{"TransactionId": "tx1", "MerchantBizId": "BIZ1"}}, Client: client})
	r := New(sink, Options{AlibabaKey: key})
	good := url.Values{"callbackToken": {alibaba.CallbackToken(key, "BIZ1")}, "transactionId": {"tx1"}, "passed": {"N"}, "subCode": {"206"}}
	calls := []url.Values{
		{"callbackToken": {alibaba.CallbackToken(key, "BIZ1")}, "transactionId": {"nope"}}, // unknown transaction
		{"callbackToken": {alibaba.CallbackToken(key, "BIZ2")}, "transactionId": {"tx1"}},  // another session's token
		{"callbackToken": {"NMjvQanQgplBSaEI0sL86WnQplB"}, "transactionId": {"tx1"}},       // forged
		{"callbackToken": {alibaba.CallbackToken([]byte("other"), "BIZ1")}, "transactionId": {"tx1"}},
		{"transactionId": {"tx1"}}, // no token
	}
	for _, q := range calls {
		code, body := getBody(r, q)
		if code != alibaba.CallbackAnswerStatus || body != alibaba.CallbackAnswerBody {
			t.Fatalf("%s: %d %q, want Alibaba's one answer", q.Encode(), code, body)
		}
	}
	r.Wait()
	if client.calls.Load() != 0 || len(sink.statuses("alibaba", "tx1")) != 0 {
		t.Fatal("a refused callback asked CheckResult or recorded")
	}
	if r.Count("alibaba", Refused, ReasonUnknownSession) != 1 || r.Count("alibaba", Refused, ReasonBadToken) != 3 ||
		r.Count("alibaba", Refused, ReasonMalformed) != 1 {
		t.Fatalf("counts %+v", r.Counts())
	}
	code, body := getBody(r, good)
	if code != alibaba.CallbackAnswerStatus || body != alibaba.CallbackAnswerBody {
		t.Fatalf("good: %d %q", code, body)
	}
	r.Wait()
	got := sink.statuses("alibaba", "tx1")
	if client.calls.Load() != 1 || len(got) != 1 || got[0].State != providers.StateApproved || got[0].Fields["SubCode"] != "200" {
		t.Fatalf("calls %d recorded %+v", client.calls.Load(), got)
	}
	// After the final result, a replay asks nothing, here and in a
	// restarted receiver (the store says final).
	for _, rr := range []*Receiver{r, New(sink, Options{AlibabaKey: key})} {
		if code := get(rr, good); code != alibaba.CallbackAnswerStatus {
			t.Fatalf("replay: %d", code)
		}
		rr.Wait()
	}
	if client.calls.Load() != 1 || len(sink.statuses("alibaba", "tx1")) != 1 {
		t.Fatalf("a replay after the result asked again: %d calls", client.calls.Load())
	}
	// No key: nothing can be checked, nothing asked.
	if code := get(New(sink, Options{}), good); code != alibaba.CallbackAnswerStatus || client.calls.Load() != 1 {
		t.Fatalf("no key: %d, %d calls", code, client.calls.Load())
	}
}

// TestAlibabaReplayedTokenOncePerMinute: while the result is not ready, a
// valid token sent again and again starts at most one CheckResult per
// session per alibaba.ConfirmEvery; another session is not held back.
func TestAlibabaReplayedTokenOncePerMinute(t *testing.T) {
	key := []byte("receiver-key")
	clk := clocktest.New(time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC))
	sink := newSink()
	pending := &fakeAlibaba{state: providers.StatePending}
	other := &fakeAlibaba{state: providers.StatePending}
	for _, x := range []struct {
		tx, biz string
		c       *fakeAlibaba
	}{{"tx2", "BIZ2", pending}, {"tx3", "BIZ3", other}} {
		sink.add("alibaba", x.tx, &Session{Launch: &providers.Launch{Provider: "alibaba",
			References: map[string]string{"TransactionId": x.tx, "MerchantBizId": x.biz}}, Client: x.c})
	}
	r := New(sink, Options{AlibabaKey: key, Now: clk.Now})
	q2 := url.Values{"callbackToken": {alibaba.CallbackToken(key, "BIZ2")}, "transactionId": {"tx2"}}
	q3 := url.Values{"callbackToken": {alibaba.CallbackToken(key, "BIZ3")}, "transactionId": {"tx3"}}
	for i := 0; i < 5; i++ {
		if code := get(r, q2); code != alibaba.CallbackAnswerStatus {
			t.Fatalf("replay %d: %d", i, code)
		}
		r.Wait()
		clk.Advance(alibaba.ConfirmEvery / 10)
	}
	if pending.calls.Load() != 1 || r.Count("alibaba", Refused, ReasonReplayed) != 4 {
		t.Fatalf("5 callbacks within a minute: %d CheckResults, counts %+v", pending.calls.Load(), r.Counts())
	}
	get(r, q3)
	r.Wait()
	if other.calls.Load() != 1 {
		t.Fatalf("another session was held back: %d", other.calls.Load())
	}
	clk.Advance(alibaba.ConfirmEvery) // a minute later, it may ask again
	get(r, q2)
	r.Wait()
	if pending.calls.Load() != 2 {
		t.Fatalf("a minute later: %d CheckResults, want 2", pending.calls.Load())
	}
}

// TestSimulatorsToReceiver: the sandbox's simulators send their callbacks
// to a receiver over HTTP when the customer finishes, and the sink sees
// the result.
func TestSimulatorsToReceiver(t *testing.T) {
	sink := newSink()
	aliKey := []byte("receiver-key")
	recv := New(sink, Options{IdenfySigningKey: signingKey, AlibabaKey: aliKey})
	rsrv := httptest.NewServer(recv)
	defer rsrv.Close()

	deliver := &providers.Deliverer{}
	mux := http.NewServeMux()
	sandbox := httptest.NewServer(mux)
	defer sandbox.Close()
	opts := providers.SimOptions{PublicURL: sandbox.URL, WebhookURL: rsrv.URL + IdenfyPath,
		WebhookSigningKey: string(signingKey), Callbacks: deliver}
	idenfy.NewSimulator(opts).Register(mux)
	alibaba.NewSimulator(opts).Register(mux)
	ctx := context.Background()

	// iDenfy: launch, the customer approves, the signed webhook arrives.
	ic, err := idenfy.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: sandbox.URL,
		Credentials: map[string]string{"apiKey": idenfy.SandboxAPIKey, "apiSecret": idenfy.SandboxAPISecret}})
	if err != nil {
		t.Fatal(err)
	}
	il, err := ic.Launch(ctx, providers.Values{"clientId": {"desk-1"}})
	if err != nil {
		t.Fatal(err)
	}
	scanRef := il.References["scanRef"]
	sink.add("idenfy", scanRef, &Session{Launch: il})
	resp, err := http.PostForm(sandbox.URL+idenfy.RedirectPath+"/"+idenfy.ActionApprove, url.Values{"authToken": {il.References["authToken"]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// Alibaba: the client points CallbackUrl at the receiver; the customer
	// approves on the page; the callback arrives and one CheckResult is
	// recorded.
	ac, err := alibaba.New(providers.Config{Mode: providers.ModeSandbox, BaseURL: sandbox.URL,
		Callback: &providers.CallbackTarget{BaseURL: rsrv.URL, Key: aliKey}})
	if err != nil {
		t.Fatal(err)
	}
	al, err := ac.Launch(ctx, providers.Values{"DocType": {"01000000"}, "MerchantUserId": {"c-1"}, "ReturnUrl": {"https://example.com/done"}, "SecurityLevel": {"01"}})
	if err != nil {
		t.Fatal(err)
	}
	tx := al.References["TransactionId"]
	sink.add("alibaba", tx, &Session{Launch: al, Client: ac})
	page, err := http.Get(al.URL)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindSubmatch(html)
	if m == nil {
		t.Fatalf("no token on the page: %s", html)
	}
	resp, err = http.PostForm(al.URL, url.Values{"token": {string(m[1])}, "action": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	deliver.Wait() // the simulators' sends are done (answered by the receiver)
	recv.Wait()    // the receiver's CheckResult is recorded

	if got := sink.statuses("idenfy", scanRef); len(got) != 1 || got[0].State != providers.StateApproved || got[0].Fields["autoFace"] != "FACE_MATCH" {
		t.Fatalf("idenfy: %+v (counts %+v)", got, recv.Counts())
	}
	if recv.Count("idenfy", Accepted, ReasonRecorded) != 1 {
		t.Fatalf("the webhook was not signed and verified: %+v", recv.Counts())
	}
	if got := sink.statuses("alibaba", tx); len(got) != 1 || got[0].State != providers.StateApproved || got[0].Fields["SubCode"] != "200" {
		t.Fatalf("alibaba: %+v (counts %+v)", got, recv.Counts())
	}
}
