package session

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// journalFiles is what the journal wrote: the file and its snapshot.
func journalFiles(t *testing.T, j *Journal) string {
	t.Helper()
	lowSnapshotThresholds(t)
	if err := j.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile(SnapshotPath(j.Path()))
	if err != nil {
		t.Fatal(err)
	}
	return string(data) + string(snap)
}

func TestPersonalDataNeverWritten(t *testing.T) {
	_, j := tempJournal(t)
	l := &Launcher{Journal: j}
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

	data := journalFiles(t, j)
	for _, personal := range []string{"gintautas", "600-12345", "600 12345"} {
		if strings.Contains(strings.ToLower(data), personal) {
			t.Errorf("journal holds %q in another form:\n%s", personal, data)
		}
	}
	for _, personal := range []string{"Gintautas", "1987-06-05", "+37060012345", "37060012345", "60012345", "firstName\"", "dateOfBirth", "\"phone\""} {
		if strings.Contains(data, personal) {
			t.Errorf("journal holds %q:\n%s", personal, data)
		}
	}
	if !strings.Contains(data, "client-p") {
		t.Fatal("the customer id should be kept")
	}
}

func TestStripPersonal(t *testing.T) {
	v := providers.Values{"clientId": {"c"}, "firstName": {"A"}, "phone": {"+1"}, "unknownThing": {"?"}, "locale": {}}
	got := StripPersonal(testSpec(), v)
	if len(got) != 1 || got.Get("clientId") != "c" {
		t.Fatalf("%v", got)
	}
	v["clientId"][0] = "changed"
	if got.Get("clientId") != "c" {
		t.Fatal("StripPersonal shares the caller's slices")
	}
}

func TestSecretsNeverWritten(t *testing.T) {
	_, j := tempJournal(t)
	l := &Launcher{Journal: j}
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
	j.AppendStatus(s.ID, &providers.Status{State: providers.StateApproved, Detail: "ok"})

	data := journalFiles(t, j)
	if strings.Contains(data, testSecret) || strings.Contains(data, url.QueryEscape(testSecret)) {
		t.Fatalf("journal holds the secret:\n%s", data)
	}
	if strings.Contains(data, "424242") || strings.Contains(data, "sandboxCode") {
		t.Fatalf("journal holds the sandbox OTP:\n%s", data)
	}
	if !strings.Contains(data, `"endpoint":"https://api.fake.test"`) {
		t.Fatalf("endpoint user info not dropped:\n%s", data)
	}
}

func TestInvalidValuesWriteNothing(t *testing.T) {
	path, j := tempJournal(t)
	c := newFake()
	v := values("")
	v.Set("locale", "xx")
	s, err := (&Launcher{Journal: j}).Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, v)
	if s != nil || providers.AsError(err).Kind != providers.KindInvalid || !strings.Contains(err.Error(), "locale") {
		t.Fatalf("%v %v", s, err)
	}
	if c.launches.Load() != 0 || j.Len() != 0 {
		t.Fatal("something was sent or journaled")
	}
	if data, _ := os.ReadFile(path); len(data) != 0 {
		t.Fatalf("journal: %s", data)
	}
}

func TestRetry(t *testing.T) {
	path, j := tempJournal(t)
	clock := newClock()
	l := &Launcher{Journal: j, Now: clock.Now}
	c := newFake()
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Unknown(0, "U", "status U", nil)
	}
	v := values("client-r")
	v.Set("firstName", "Ona") // personal: not journaled, but part of the body
	s, err := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, v)
	if providers.AsError(err).Kind != providers.KindUnknown || !s.OutcomeUnknown() || s.RequestHash == "" {
		t.Fatalf("%v %+v", err, s)
	}
	c.launch = nil

	// The journal's values lack the personal one: the body differs.
	_, err = l.Retry(context.Background(), s, c, nil)
	if !errors.Is(err, ErrBodyChanged) || providers.AsError(err).Kind != providers.KindInvalid || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("retry without the personal value: %v", err)
	}
	// A changed value: refused, nothing sent.
	changed := v.Clone()
	changed.Set("locale", "lt")
	if _, err := l.Retry(context.Background(), s, c, changed); !errors.Is(err, ErrBodyChanged) {
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
	// The same values: sent with the same idempotency id.
	clock.Advance(time.Minute)
	s2, err := l.Retry(context.Background(), s, c, v)
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
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "Ona") {
		t.Fatal("personal value journaled on retry")
	}
	j2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if j2.Len() != 1 {
		t.Fatal(j2.Len())
	}
	if r, _ := j2.Get(s.ID); r.Attempts != 2 || r.State != providers.StatePending {
		t.Fatalf("reopened: %+v", r)
	}
}

func TestResolve(t *testing.T) {
	_, j := tempJournal(t)
	l := &Launcher{Journal: j}
	c := newFake()
	ok := mustLaunch(t, l, c, values("client-a"))
	if _, err := l.Resolve(ok.ID, "checked: not created"); err == nil {
		t.Fatal("resolved a launched session")
	}
	c.launch = func(context.Context, providers.Values) (*providers.Launch, error) {
		return nil, providers.Unknown(502, "", "bad gateway", nil)
	}
	u, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("client-a"))
	if _, err := l.Resolve(u.ID, "  "); err == nil {
		t.Fatal("empty resolution accepted")
	}
	c.launch = nil
	n := mustLaunch(t, l, c, values("client-a"))
	r, err := l.Resolve(u.ID, "launched anew as "+n.ID)
	if err != nil || r.State != StateResolved || !r.Final() || !strings.Contains(r.Resolution, n.ID) {
		t.Fatalf("%v %+v", err, r)
	}
	if len(j.Unresolved()) != 0 {
		t.Fatal("still unresolved")
	}
	if _, err := l.Retry(context.Background(), r, c, nil); err == nil {
		t.Fatal("retried a resolved session")
	}
	if _, err := l.Resolve("zzzzzzzz", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

func TestInflightIsNotUnresolved(t *testing.T) {
	_, j := tempJournal(t)
	l := &Launcher{Journal: j}
	c := newFake()
	entered := make(chan string)
	release := make(chan struct{})
	c.launch = func(_ context.Context, v providers.Values) (*providers.Launch, error) {
		entered <- j.Sessions()[0].ID
		<-release
		return okLaunch(v), nil
	}
	done := make(chan *Session)
	go func() {
		s, _ := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("client-a"))
		done <- s
	}()
	id := <-entered
	if s, _ := j.Get(id); !s.OutcomeUnknown() {
		t.Fatal("in-flight session not of unknown outcome")
	}
	if len(j.Unresolved()) != 0 {
		t.Fatal("in-flight launch listed as unresolved")
	}
	if _, err := j.Resolve(id, "checked: not created"); err == nil {
		t.Fatal("resolved an in-flight launch")
	}
	close(release)
	if s := <-done; s.State != providers.StatePending {
		t.Fatal(s.State)
	}
}

func TestOutcomeNotJournaledStillReturned(t *testing.T) {
	path, j := tempJournal(t)
	l := &Launcher{Journal: j}
	c := newFake()
	c.launch = func(_ context.Context, v providers.Values) (*providers.Launch, error) {
		j.Close() // the journal fails between the intent and the outcome
		return okLaunch(v), nil
	}
	s, err := l.Launch(context.Background(), testDescriptor(), c, providers.ModeSandbox, c.endpoint, values("client-a"))
	if err == nil || s == nil || s.URL == "" || s.State != providers.StatePending {
		t.Fatalf("%v %+v", err, s)
	}
	j2, _ := Open(path)
	defer j2.Close()
	if u := j2.Unresolved(); len(u) != 1 || u[0].ID != s.ID {
		t.Fatal("the unjournaled outcome should read back as unknown")
	}
}
