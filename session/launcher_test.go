package session_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// storeBytes is what the SQLite store wrote to disk: the database file
// and its write-ahead log, as raw bytes (the store keeps JSON text, so a
// value written shows in them).
func storeBytes(t *testing.T, path string) string {
	t.Helper()
	var b []byte
	for _, p := range []string{path, path + "-wal"} {
		data, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		b = append(b, data...)
	}
	if len(b) == 0 {
		t.Fatal("the store wrote nothing")
	}
	return string(b)
}

func TestPersonalDataNeverWritten(t *testing.T) {
	path, st := tempStore(t)
	l := &session.Launcher{Store: st}
	c := newFake()
	v := values("client-p")
	v.Set("firstName", "Gintautas")
	v.Set("dateOfBirth", "1987-06-05")
	v.Set("phone", "+37060012345")
	v.Set("documents", "PASSPORT", "ID_CARD")
	s := mustLaunch(t, l, c, v)
	if s.Values().Has("firstName") || s.Values().Has("dateOfBirth") || s.Values().Has("phone") {
		t.Fatalf("personal values kept: %v", s.Values())
	}
	if !s.Values().Has("clientId") || !s.Values().Has("requestId") || len(s.Values()["documents"]) != 2 {
		t.Fatalf("non-personal values lost: %v", s.Values())
	}
	if got := c.lastVals.Get("firstName"); got != "Gintautas" {
		t.Fatalf("the request lost the personal values: %q", got)
	}
	// A provider that echoes personal data in its error message.
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Rejected(400, "BAD_NAME", "firstName Gintautas (born 1987-06-05, +37060012345) does not match", "")
	}
	l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, v)
	// Echoed in other forms: uppercased (iDenfy), URL-encoded, and the
	// number with another prefix and separators.
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Rejected(400, "BAD_NAME", `{"FIRSTNAME":"GINTAUTAS"} q=gintautas%20 tel=370-600-12345 local 8 600 12345`, "")
	}
	l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, v)
	// A phone number as the customer is masked.
	phoneSpec := providers.Spec{{Name: "identityValue", Kind: providers.KindPhone, Personal: true}, {Name: "requestId", Kind: providers.KindText}}
	d := providers.Descriptor{ID: "otp", Spec: func() providers.Spec { return phoneSpec }}
	pc := newFake()
	pc.spec = phoneSpec
	ps, err := l.Launch(context.Background(), d, pc, providers.ModeSandbox, pc.endpoint,
		providers.Values{"identityValue": {"+37060012345"}, "requestId": {"r-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if ps.Customer != "+370****2345" {
		t.Fatalf("customer %q", ps.Customer)
	}

	data := storeBytes(t, path)
	for _, personal := range []string{"gintautas", "600-12345", "600 12345"} {
		if strings.Contains(strings.ToLower(data), personal) {
			t.Errorf("the store holds %q in another form", personal)
		}
	}
	for _, personal := range []string{"Gintautas", "1987-06-05", "+37060012345", "37060012345", "60012345", "firstName\"", "dateOfBirth", "\"phone\""} {
		if strings.Contains(data, personal) {
			t.Errorf("the store holds %q", personal)
		}
	}
	if !strings.Contains(data, "client-p") {
		t.Fatal("the customer id should be kept (else the scan above proves nothing)")
	}
}

func TestStripPersonal(t *testing.T) {
	v := providers.Values{"clientId": {"c"}, "firstName": {"A"}, "phone": {"+1"}, "unknownThing": {"?"}, "locale": {}}
	got := session.StripPersonal(testSpec(), v)
	if len(got) != 1 || got.Get("clientId") != "c" {
		t.Fatalf("%v", got)
	}
	v["clientId"][0] = "changed"
	if got.Get("clientId") != "c" {
		t.Fatal("StripPersonal shares the caller's slices")
	}
}

func TestSecretsNeverWritten(t *testing.T) {
	path, st := tempStore(t)
	l := &session.Launcher{Store: st}
	c := newFake()
	s := mustLaunch(t, l, c, values("client-s"))
	// A provider that echoes the secret everywhere it can.
	c.launch = func(_ context.Context, v providers.Values) (*providers.Launch, error) {
		res := okLaunch(v)
		res.URL += "&k=" + url.QueryEscape(testSecret)
		res.References["echo"] = testSecret
		res.Extra = map[string]string{"debug": "secret=" + testSecret}
		return res, nil
	}
	mustLaunch(t, l, c, values("client-t"))
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindRejected, Code: "AUTH", Message: "bad secret " + testSecret,
			Action: "check " + testSecret}
	}
	l.Launch(context.Background(), testDescriptor(), c, providers.ModeLive, "https://key-id:"+testSecret+"@api.fake.test", values("client-u"))
	if _, err := st.Status(context.Background(), s.ID, &providers.Status{State: providers.StateApproved, Detail: "ok"}); err != nil {
		t.Fatal(err)
	}

	data := storeBytes(t, path)
	if strings.Contains(data, testSecret) || strings.Contains(data, url.QueryEscape(testSecret)) {
		t.Fatal("the store holds the secret")
	}
	if strings.Contains(data, "424242") || strings.Contains(data, "sandboxCode") {
		t.Fatal("the store holds the sandbox OTP")
	}
	if !strings.Contains(data, `"endpoint":"https://api.fake.test"`) {
		t.Fatal("endpoint user info not dropped")
	}
}

func TestInvalidValuesWriteNothing(t *testing.T) {
	_, st := tempStore(t)
	c := newFake()
	v := values("")
	v.Set("locale", "xx")
	s, err := (&session.Launcher{Store: st}).Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, v)
	if s != nil || providers.AsError(err).Kind != providers.KindInvalid || !strings.Contains(err.Error(), "locale") {
		t.Fatalf("%v %v", s, err)
	}
	if n, _ := st.Count(context.Background(), session.Query{}); c.launches.Load() != 0 || n != 0 {
		t.Fatalf("something was sent (%d) or recorded (%d)", c.launches.Load(), n)
	}
}

func TestRetry(t *testing.T) {
	path, st := tempStore(t)
	clock := newClock()
	l := &session.Launcher{Store: st, Now: clock.Now}
	c := newFake()
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Unknown(0, "U", "status U", nil)
	}
	v := values("client-r")
	v.Set("firstName", "Ona") // personal: not stored, but part of the body
	s, err := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, v)
	if providers.AsError(err).Kind != providers.KindUnknown || !s.OutcomeUnknown() || s.RequestHash == "" {
		t.Fatalf("%v %+v", err, s)
	}
	c.launch = nil

	// The stored values lack the personal one: the body differs.
	_, err = l.Retry(context.Background(), s, c, nil)
	if !errors.Is(err, session.ErrBodyChanged) || providers.AsError(err).Kind != providers.KindInvalid || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("retry without the personal value: %v", err)
	}
	// A changed value: refused, nothing sent.
	changed := v.Clone()
	changed.Set("locale", "lt")
	if _, err := l.Retry(context.Background(), s, c, changed); !errors.Is(err, session.ErrBodyChanged) {
		t.Fatalf("retry with a changed value: %v", err)
	}
	// Another endpoint: refused.
	other := newFake()
	other.endpoint = "https://elsewhere.test"
	if _, err := l.Retry(context.Background(), s, other, v); err == nil || !strings.Contains(err.Error(), "elsewhere.test") {
		t.Fatalf("retry elsewhere: %v", err)
	}
	if c.launches.Load() != 1 || other.launches.Load() != 0 {
		t.Fatal("a refused retry was sent")
	}
	// The same values, with the request built by the caller (desk.Draft):
	// sent with the same idempotency id.
	clock.Advance(time.Minute)
	req, err := c.Request(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := l.RetryBuilt(context.Background(), s, c, v, req)
	if err != nil || s2.ID != s.ID || s2.State != providers.StatePending || s2.Attempts != 2 || s2.LastError != nil {
		t.Fatalf("retry: %v %+v", err, s2)
	}
	if c.lastVals.Get("requestId") != v.Get("requestId") {
		t.Fatal("the idempotency id changed")
	}
	if !s2.CreatedAt.Equal(s.CreatedAt) || !s2.LaunchedAt.Equal(clock.Now()) {
		t.Fatalf("times: %v %v", s2.CreatedAt, s2.LaunchedAt)
	}
	// Nothing more to retry.
	if _, err := l.Retry(context.Background(), s2, c, v); err == nil || !strings.Contains(err.Error(), "nothing to retry") {
		t.Fatalf("retry of a launched session: %v", err)
	}
	if strings.Contains(storeBytes(t, path), "Ona") {
		t.Fatal("personal value stored on retry")
	}
	if r, err := st.Get(context.Background(), s.ID); err != nil || r.Attempts != 2 || r.State != providers.StatePending {
		t.Fatalf("read back: %+v %v", r, err)
	}
}

// A session whose request is out is not of unknown outcome for the
// operator: it is not counted, and it cannot be resolved.
func TestSendingIsNotUnknown(t *testing.T) {
	_, st := tempStore(t)
	l := &session.Launcher{Store: st}
	c := newFake()
	entered := make(chan string)
	release := make(chan struct{})
	c.launch = func(_ context.Context, v providers.Values) (*providers.Launch, error) {
		list, _ := st.List(context.Background(), session.Query{Limit: 1})
		entered <- list[0].ID
		<-release
		return okLaunch(v), nil
	}
	done := make(chan *session.Session)
	go func() {
		s, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("client-a"))
		done <- s
	}()
	id := <-entered
	if s, _ := st.Get(context.Background(), id); !s.OutcomeUnknown() || !s.Sending(time.Now()) {
		t.Error("the session being sent is not of unknown outcome and sending")
	}
	if n, _ := st.Counts(context.Background(), "", time.Now()); n.Unknown != 0 || n.Pending != 1 {
		t.Errorf("counts while sending: %+v", n)
	}
	if _, err := st.Resolve(context.Background(), id, "checked: not created"); err == nil {
		t.Error("resolved a session being sent")
	}
	close(release)
	if s := <-done; s.State != providers.StatePending {
		t.Fatal(s.State)
	}
}

func TestNoStore(t *testing.T) {
	c := newFake()
	if _, err := (&session.Launcher{}).Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("x")); err == nil {
		t.Fatal("launched without a store")
	}
	if c.launches.Load() != 0 {
		t.Fatal("sent without a store")
	}
}
