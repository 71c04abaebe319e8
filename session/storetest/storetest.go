// Package storetest is the conformance suite every session.Store passes:
// SQLite always, PostgreSQL when KYCDESK_TEST_POSTGRES names a server.
//
// A backend's tests call Run with a function that makes fresh, empty
// stores, and storetest.Child first thing in TestMain: the suite re-runs
// the test binary to write from other processes (concurrent writers, a
// launch killed between its intent and its outcome, the change feed).
package storetest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// Target is a store the suite may use: what opens it.
type Target struct {
	URL string            // for session.OpenStore
	Env map[string]string // the environment it is opened with (XDG_*, HOME, KYCDESK_STORE_KEY)
	// Raw, when set, is the store's bytes as a backup or a stolen disk
	// holds them (SQLite: the file and its WAL; PostgreSQL: pg_dump).
	Raw func(t testing.TB) []byte `json:"-"`
}

// Getenv reads Env (and nothing else, so tests do not depend on the
// machine's environment).
func (tg Target) Getenv(name string) string { return tg.Env[name] }

// Open opens the target, closing it when t ends.
func (tg Target) Open(t testing.TB) session.Store {
	t.Helper()
	st, err := session.OpenStore(tg.URL, tg.Getenv)
	if err != nil {
		t.Fatalf("open %s: %v", tg.URL, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestKey is a fingerprint key for targets (64 hex digits).
const TestKey = "6b796364657368207465737420666f6f7465727072696e74206b657920303031"

// Fixture is a journal written by the JSON Lines release (all three
// providers, statuses, a failed launch, a retried and resolved unknown
// outcome, an unknown one, a torn last line), which stores import.
//
//go:embed testdata/legacy/sessions.jsonl
var Fixture []byte

// Run runs the conformance suite; fresh makes a new, empty store.
func Run(t *testing.T, fresh func(t testing.TB) Target) {
	tests := []struct {
		name string
		fn   func(t *testing.T, tg Target)
	}{
		{"IntentCommittedBeforeRequest", testIntentBeforeRequest},
		{"Outcomes", testOutcomes},
		{"RetryRefusals", testRetryRefusals},
		{"Status", testStatus},
		{"Get", testGet},
		{"Queries", testQueries},
		{"OwnNewest", testOwnNewest},
		{"IDsInABurst", testIDsInABurst},
		{"ClaimsPassOverLockedIDs", testClaimsPassOverLockedIDs},
		{"FilterBounds", testFilterBounds},
		{"DeskState", testDeskState},
		{"PendingAndCounts", testPendingAndCounts},
		{"Guard", testGuard},
		{"Fingerprint", testFingerprint},
		{"NoSecretsOrPersonalData", testNoSecrets},
		{"AppendOnly", testAppendOnly},
		{"Actor", testActor},
		{"OutcomeNotRecorded", testOutcomeNotRecorded},
		{"ImportFixture", testImportFixture},
		{"ImportedRetry", testImportedRetry},
		{"Reopen", testReopen},
		{"KillBetweenIntentAndOutcome", testKill},
		{"ConcurrentWriters", testConcurrentWriters},
		{"GuardAcrossProcesses", testGuardAcrossProcesses},
		{"ChangeFeedAcrossProcesses", testChangeFeed},
		{"RecordRules", testRecordRules},
		{"ImportCleans", testImportCleans},
		{"MigrationCleansAndSeals", testMigrationCleans},
		{"BurstBeyondThePool", testBurst},
		{"GroupedWrites", testGroupedWrites},
		{"ByReference", testByReference},
		{"GroupNeverWaitsHoldingTheChain", testGroupNeverWaitsHoldingTheChain},
		{"WritesSeeRowsChangedElsewhere", testWritesSeeRowsChangedElsewhere},
		{"ChangeFeedNamesEvents", testChangeFeedNamesEvents},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, fresh(t)) })
	}
	t.Run("Chain", func(t *testing.T) { testChain(t, fresh) })
}

var ctx = context.Background()

func launch(t testing.TB, st session.Store, c *fakeClient, v providers.Values) *session.Session {
	t.Helper()
	s, err := (&launcher{Store: st}).Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint, v)
	if err != nil {
		t.Fatalf("launch: %v", err)
	}
	return s
}

func kinds(t testing.TB, st session.Store, id string) []string {
	t.Helper()
	evs, err := st.History(ctx, id)
	if err != nil {
		t.Fatalf("history of %s: %v", id, err)
	}
	var out []string
	for i, e := range evs {
		if i > 0 && e.Seq <= evs[i-1].Seq {
			t.Errorf("history of %s out of order: %d after %d", id, e.Seq, evs[i-1].Seq)
		}
		out = append(out, e.Kind)
	}
	return out
}

func wantKinds(t testing.TB, st session.Store, id string, want ...string) {
	t.Helper()
	if got := kinds(t, st, id); !slices.Equal(got, want) {
		t.Errorf("history of %s = %v, want %v", id, got, want)
	}
}

func get(t testing.TB, st session.Store, id string) *session.Session {
	t.Helper()
	s, err := st.Get(ctx, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return s
}

func testIntentBeforeRequest(t *testing.T, tg Target) {
	st, other := tg.Open(t), tg.Open(t)
	c := newClient()
	var seen *session.Session
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		// Another connection sees the intent committed before anything goes out.
		list, err := other.List(ctx, session.Query{})
		if err != nil || len(list) != 1 {
			t.Errorf("while sending: %d sessions, %v; want the intent", len(list), err)
			return okLaunch(v), nil
		}
		seen = list[0]
		return okLaunch(v), nil
	}
	s := launch(t, st, c, values("cust-1", "req-1"))
	if seen == nil {
		t.Fatal("the request was sent without a committed intent")
	}
	if seen.ID != s.ID || !seen.OutcomeUnknown() || !seen.Sending(time.Now()) || seen.Launched() || len(seen.History) != 0 {
		t.Errorf("the intent seen while sending = %+v", seen)
	}
	if s.State != providers.StatePending || !s.Launched() || s.URL == "" || s.References()["scanRef"] != "scan-req-1" ||
		s.Sending(time.Now()) || s.Customer != "cust-1" || s.Attempts != 1 || len(s.History) != 1 {
		t.Errorf("launched session = %+v", s)
	}
	if s.Challenge == nil || s.Challenge.SandboxCode != "" || s.Challenge.RenderValue != "****3456" {
		t.Errorf("challenge = %+v (the sandbox code is never kept)", s.Challenge)
	}
	wantKinds(t, st, s.ID, session.EventIntent, session.EventOutcome)
	g := get(t, other, s.ID)
	if g.URL != s.URL || g.State != s.State || !g.ExpiresAt.Equal(s.ExpiresAt) || !g.CreatedAt.Equal(s.CreatedAt) ||
		!g.LaunchedAt.Equal(s.LaunchedAt) || g.Values().Get("requestId") != "req-1" || !g.SingleUse {
		t.Errorf("read back = %+v\nwant %+v", g, s)
	}
}

func testOutcomes(t *testing.T, tg Target) {
	st := tg.Open(t)
	l := &launcher{Store: st}
	c := newClient()
	d := descriptor("fake")

	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindRejected, Code: "DOC_REFUSED", Message: "refused", HTTPStatus: 400}
	}
	s, err := l.Launch(ctx, d, c, providers.ModeSandbox, endpoint, values("cust-f", "req-f"))
	if err == nil || s == nil || s.State != session.StateFailed || s.LastError == nil || s.LastError.Code != "DOC_REFUSED" {
		t.Fatalf("rejected launch: %+v, %v", s, err)
	}
	if g := get(t, st, s.ID); g.State != session.StateFailed || g.LastError.HTTPStatus != 400 || g.LastError.At.IsZero() {
		t.Errorf("failed session read back = %+v, %+v", g, g.LastError)
	}

	// Unknown, then retried with the same request: the provider answers.
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindUnknown, Code: "TIMEOUT", Message: "no answer"}
	}
	v := values("cust-u", "req-u")
	s, err = l.Launch(ctx, d, c, providers.ModeSandbox, endpoint, v)
	if err == nil || s == nil || !s.OutcomeUnknown() || s.Sending(time.Now()) {
		t.Fatalf("unknown launch: %+v, %v", s, err)
	}
	c.launch = nil
	r, err := l.Retry(ctx, s, c, v)
	if err != nil || r.State != providers.StatePending || r.Attempts != 2 || r.LastError != nil {
		t.Fatalf("retry: %+v, %v", r, err)
	}
	wantKinds(t, st, s.ID, session.EventIntent, session.EventOutcome, session.EventIntent, session.EventOutcome)
	evs, _ := st.History(ctx, s.ID)
	if evs[1].State != session.StateOutcomeUnknown || evs[1].Error == nil || evs[1].Error.Code != "TIMEOUT" ||
		evs[2].Attempt != 2 || evs[3].State != providers.StatePending {
		t.Errorf("history = %+v", evs)
	}

	// Unknown, then resolved by the operator.
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindUnknown, Message: "503"}
	}
	s, _ = l.Launch(ctx, d, c, providers.ModeSandbox, endpoint, values("cust-r", "req-r"))
	res, err := st.Resolve(ctx, s.ID, "checked: not created")
	if err != nil || res.State != session.StateResolved || res.Resolution != "checked: not created" || res.ResolvedAt.IsZero() {
		t.Fatalf("resolve: %+v, %v", res, err)
	}
	if _, err := st.Resolve(ctx, s.ID, "again"); err == nil {
		t.Error("a resolved session was resolved again")
	}
	if _, err := st.Resolve(ctx, r.ID, "x"); err == nil {
		t.Error("a launched session was resolved")
	}
	if _, err := st.Resolve(ctx, s.ID, "  "); err == nil {
		t.Error("a resolution without a reason was accepted")
	}
	wantKinds(t, st, s.ID, session.EventIntent, session.EventOutcome, session.EventResolved)
}

func testRetryRefusals(t *testing.T, tg Target) {
	st := tg.Open(t)
	l := &launcher{Store: st}
	c := newClient()
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindUnknown, Message: "timeout"}
	}
	v := values("cust-b", "req-b")
	s, _ := l.Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint, v)
	sent := c.launches()

	changed := v.Clone()
	changed.Set("locale", "lt")
	_, err := l.Retry(ctx, s, c, changed)
	var pe *providers.Error
	if !errors.Is(err, session.ErrBodyChanged) || !errors.As(err, &pe) || pe.Code != "BODY_CHANGED" {
		t.Errorf("retry with another body: %v", err)
	}
	if c.launches() != sent {
		t.Error("a retry with another body was sent")
	}
	wantKinds(t, st, s.ID, session.EventIntent, session.EventOutcome)

	// A request of the session still being sent (by another process).
	busy, err := st.Attempt(ctx, s.ID, session.Attempt{Values: s.Values(), Request: mustRequest(t, c, v),
		SendingUntil: time.Now().Add(time.Hour)})
	if err != nil || !busy.Sending(time.Now()) {
		t.Fatalf("attempt: %+v, %v", busy, err)
	}
	if _, err := l.Retry(ctx, s, c, v); err == nil || !strings.Contains(err.Error(), "being sent") {
		t.Errorf("retry while another request is being sent: %v", err)
	}
	if _, err := st.Resolve(ctx, s.ID, "checked"); err == nil {
		t.Error("resolved while a request is being sent")
	}
	if c.launches() != sent {
		t.Error("sent while another request was being sent")
	}
	c.launch = nil
	ok := launch(t, st, c, values("cust-ok", "req-ok"))
	if _, err := l.Retry(ctx, ok, c, nil); err == nil {
		t.Error("a launched session was retried")
	}
	if _, err := l.Retry(ctx, &session.Session{ID: "zzzzzzzz", Endpoint: endpoint}, c, v); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("retry of no session: %v", err)
	}
}

func mustRequest(t testing.TB, c *fakeClient, v providers.Values) *http.Request {
	t.Helper()
	req, err := c.Request(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func testStatus(t *testing.T, tg Target) {
	st := tg.Open(t)
	c := newClient()
	s := launch(t, st, c, values("cust-s", "req-s"))
	if _, err := st.Status(ctx, s.ID, &providers.Status{State: providers.StatePending, Detail: "ACTIVE"}, session.SourceAPI); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Status(ctx, s.ID, &providers.Status{State: providers.StatePending, Detail: "ACTIVE"}, session.SourceAPI); err != nil {
		t.Fatal(err)
	}
	g, err := st.Status(ctx, strings.ToUpper(s.ID), &providers.Status{State: providers.StateApproved, Detail: "ok\x1b[31m"}, session.SourceAPI)
	if err != nil {
		t.Fatal(err)
	}
	if g.State != providers.StateApproved || len(g.History) != 3 || strings.ContainsRune(g.History[2].Detail, 0x1b) {
		t.Errorf("after statuses = %+v", g.History)
	}
	wantKinds(t, st, s.ID, session.EventIntent, session.EventOutcome, session.EventStatus, session.EventStatus)
	if !g.Final() {
		t.Error("approved is final")
	}

	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindUnknown, Message: "timeout"}
	}
	u, _ := (&launcher{Store: st}).Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint, values("cust-s2", "req-s2"))
	if _, err := st.Status(ctx, u.ID, &providers.Status{State: providers.StatePending}, session.SourceAPI); err == nil {
		t.Error("a status was recorded for a session never launched")
	}
	if _, err := st.Status(ctx, "zzzzzzzz", &providers.Status{State: providers.StatePending}, session.SourceAPI); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("status of no session: %v", err)
	}
}

func testGet(t *testing.T, tg Target) {
	st := tg.Open(t)
	c := newClient()
	l := &launcher{Store: st, Now: func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) }}
	var ids []string
	for i := range 3 { // the same second: ids that share 7 characters
		s, err := l.Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint, values("cust-g", fmt.Sprintf("req-g%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	if ids[0][:7] != ids[2][:7] {
		t.Fatalf("ids %v do not share a prefix", ids)
	}
	for _, q := range []string{ids[1], strings.ToUpper(ids[1]), " " + ids[1] + " ", "scan-req-g1"} {
		if s, err := st.Get(ctx, q); err != nil || s.ID != ids[1] {
			t.Errorf("Get(%q) = %v, %v", q, s, err)
		}
	}
	_, err := st.Get(ctx, ids[0][:6])
	if !errors.Is(err, session.ErrAmbiguous) || !strings.Contains(err.Error(), "3 sessions") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	_, err = st.Get(ctx, "nosuch")
	if !errors.Is(err, session.ErrNotFound) || !strings.Contains(err.Error(), st.Location()) {
		t.Errorf("no such session: %v", err)
	}
	if _, err := st.Get(ctx, ""); err == nil {
		t.Error("an empty id found something")
	}
}

func testQueries(t *testing.T, tg Target) {
	st := tg.Open(t)
	c := newClient()
	mk := func(provider string, mode providers.Mode, cust, req string, customer func(providers.Descriptor, providers.Values) string) *session.Session {
		l := &launcher{Store: st, Customer: customer}
		s, err := l.Launch(ctx, descriptor(provider), c, mode, endpoint, values(cust, req))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := mk("fake", providers.ModeSandbox, "Desk-Alpha", "q1", nil)
	b := mk("other", providers.ModeLive, "desk-beta", "q2", nil)
	hashed := func(_ providers.Descriptor, v providers.Values) string {
		return providers.KeyedID(st.CustomerKey(), v.Get("clientId"))
	}
	h := mk("alibaba", providers.ModeSandbox, "u-1001", "q3", hashed)
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindRejected, Code: "PROCESS_FAIL", Message: "refused"}
	}
	f, _ := (&launcher{Store: st}).Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint, values("desk-gamma", "q4"))
	c.launch = nil

	ids := func(list []*session.Session) []string {
		var out []string
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}
	check := func(q session.Query, want ...*session.Session) {
		t.Helper()
		list, err := st.List(ctx, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		if got, w := ids(list), ids(want); !slices.Equal(got, w) {
			t.Errorf("List(%+v) = %v, want %v", q, got, w)
		}
		if q.Before == "" {
			n, err := st.Count(ctx, q)
			if err != nil || n != len(want) {
				t.Errorf("Count(%+v) = %d, %v; want %d", q, n, err, len(want))
			}
		}
		// A keystroke: the page and the count up to 3, in one pass.
		page, n, err := st.Search(ctx, q, 3)
		if err != nil || !slices.Equal(ids(page), ids(want)) {
			t.Errorf("Search(%+v) = %v, %v; want %v", q, ids(page), err, ids(want))
		}
		all := q
		all.Limit = 0
		if total, _ := st.Count(ctx, all); q.Before == "" && n != min(total, 3) {
			t.Errorf("Search(%+v) counts %d, want %d", q, n, min(total, 3))
		}
	}
	check(session.Query{}, f, h, b, a) // newest first
	check(session.Query{Text: "desk"}, f, b, a)
	check(session.Query{Text: "DESK alpha"}, a)
	check(session.Query{Text: "scan-q2"}, b)
	check(session.Query{Text: "other"}, b)
	check(session.Query{Text: "failed"}, f)
	check(session.Query{Text: "process_fail"}, f)
	check(session.Query{Text: "100%_"})
	check(session.Query{Text: "a"}, f, h, b, a) // a short word: looked for everywhere
	check(session.Query{Text: "live be"}, b)    // a long word through the index and a short one
	check(session.Query{Text: `"alpha`})        // quotes are text, not syntax
	check(session.Query{Text: strings.ToUpper(a.ID) + " sandbox"}, a)
	check(session.Query{Text: "u-1001"}) // recorded hashed
	check(session.Query{Text: "u-1001", Customers: session.CustomerKeys(keyedRegistry(), st.CustomerKey(), "u-1001")}, h)
	check(session.Query{Text: "alpha", Customers: session.CustomerKeys(keyedRegistry(), st.CustomerKey(), "u-1001")}, h, a)
	check(session.Query{Mode: providers.ModeLive}, b)
	check(session.Query{Mode: providers.ModeSandbox, Text: "desk"}, f, a)
	check(session.Query{State: session.StateFailed}, f)
	check(session.Query{Limit: 2}, f, h)
	check(session.Query{Before: h.ID, Limit: 1}, b)

	// Pages of two cover everything once, newest first.
	var all []string
	before := ""
	for range 10 {
		page, err := st.List(ctx, session.Query{Limit: 2, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, ids(page)...)
		before = page[len(page)-1].ID
	}
	if want := ids([]*session.Session{f, h, b, a}); !slices.Equal(all, want) {
		t.Errorf("pages = %v, want %v", all, want)
	}

	// The stream: the same, and it stops when asked.
	var streamed []string
	for s, err := range st.All(ctx, session.Query{}) {
		if err != nil {
			t.Fatal(err)
		}
		streamed = append(streamed, s.ID)
	}
	if want := ids([]*session.Session{f, h, b, a}); !slices.Equal(streamed, want) {
		t.Errorf("All = %v, want %v", streamed, want)
	}
	n := 0
	for range st.All(ctx, session.Query{}) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("All did not stop: %d", n)
	}
}

func testPendingAndCounts(t *testing.T, tg Target) {
	st := tg.Open(t)
	c := newClient()
	now := time.Now()
	live := func(cust, req string) *session.Session {
		s, err := (&launcher{Store: st}).Launch(ctx, descriptor("fake"), c, providers.ModeLive, endpoint, values(cust, req))
		if s == nil {
			t.Fatal(err)
		}
		return s
	}
	p := live("cust-p", "p1")
	live("cust-q", "p2")
	pend, err := st.PendingFor(ctx, "fake", " cust-p ", providers.ModeLive, now)
	if err != nil || len(pend) != 1 || pend[0].ID != p.ID {
		t.Errorf("PendingFor = %v, %v", pend, err)
	}
	for _, other := range []struct {
		provider, cust string
		mode           providers.Mode
	}{{"fake", "cust-p", providers.ModeSandbox}, {"other", "cust-p", providers.ModeLive}, {"fake", "cust-x", providers.ModeLive}, {"fake", "", providers.ModeLive}} {
		if pend, _ := st.PendingFor(ctx, other.provider, other.cust, other.mode, now); len(pend) != 0 {
			t.Errorf("PendingFor(%+v) = %v", other, pend)
		}
	}
	if pend, _ := st.PendingFor(ctx, "fake", "cust-p", providers.ModeLive, now.Add(31*time.Minute)); len(pend) != 0 {
		t.Errorf("PendingFor after expiry = %v", pend)
	}
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindUnknown, Message: "timeout"}
	}
	live("cust-u", "p3")
	c.launch = nil
	counts := func(mode providers.Mode, at time.Time) session.Counts {
		t.Helper()
		n, err := st.Counts(ctx, mode, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := counts("", now); got != (session.Counts{Pending: 3, Unknown: 1}) {
		t.Errorf("counts now = %+v", got)
	}
	if got := counts(providers.ModeSandbox, now); got != (session.Counts{}) {
		t.Errorf("sandbox counts = %+v", got)
	}
	if got := counts(providers.ModeLive, now.Add(31*time.Minute)); got != (session.Counts{Pending: 1, Unknown: 1}) {
		t.Errorf("counts after expiry = %+v (an unknown outcome does not expire)", got)
	}
	if _, err := st.Status(ctx, p.ID, &providers.Status{State: providers.StateDenied}, session.SourceAPI); err != nil {
		t.Fatal(err)
	}
	if got := counts("", now); got != (session.Counts{Pending: 2, Unknown: 1}) {
		t.Errorf("counts after a final status = %+v", got)
	}
}

func testGuard(t *testing.T, tg Target) {
	st := tg.Open(t)
	c := newClient()
	l := &launcher{Store: st}
	first, err := l.Launch(ctx, descriptor("fake"), c, providers.ModeLive, endpoint, values("cust-dup", "g1"))
	if err != nil {
		t.Fatal(err)
	}
	sent := c.launches()
	_, err = l.Launch(ctx, descriptor("fake"), c, providers.ModeLive, endpoint, values("cust-dup", "g2"))
	var dup *session.DuplicateError
	if !errors.Is(err, session.ErrDuplicate) || !errors.As(err, &dup) || len(dup.Pending) != 1 || dup.Pending[0].ID != first.ID {
		t.Errorf("duplicate launch: %v", err)
	}
	if c.launches() != sent {
		t.Error("a duplicate was sent")
	}
	if n, _ := st.Count(ctx, session.Query{}); n != 1 {
		t.Errorf("%d sessions after a refused duplicate", n)
	}
	if _, err := l.Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint, values("cust-dup", "g3")); err != nil {
		t.Errorf("another mode: %v", err)
	}
	// The operator saw the pending session and launched anyway: recorded
	// with who confirmed and what they confirmed.
	cctx := session.WithActor(ctx, session.Actor{Operator: "carol", Desk: "desk-2"})
	conf, err := (&launcher{Store: st, Confirmed: true}).Launch(cctx, descriptor("fake"), c, providers.ModeLive, endpoint, values("cust-dup", "g4"))
	if err != nil {
		t.Fatalf("a confirmed duplicate: %v", err)
	}
	evs, err := st.History(ctx, conf.ID)
	if err != nil || len(evs) == 0 || evs[0].Kind != session.EventIntent || !slices.Equal(evs[0].Confirmed, []string{first.ID}) ||
		evs[0].Actor.Operator != "carol" {
		t.Errorf("the confirmed intent = %+v, %v", evs, err)
	}
	// Once the first is decided, the customer launches freely again.
	if _, err := st.Status(ctx, first.ID, &providers.Status{State: providers.StateApproved}, session.SourceCallback); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Status(ctx, conf.ID, &providers.Status{State: providers.StateDenied}, session.SourceCallback); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Launch(ctx, descriptor("fake"), c, providers.ModeLive, endpoint, values("cust-dup", "g5")); err != nil {
		t.Errorf("after the pending ones were decided: %v", err)
	}
}

func testFingerprint(t *testing.T, tg Target) {
	st := tg.Open(t)
	c := newClient()
	v := values("cust-h", "req-h")
	req := mustRequest(t, c, v)
	key, err := hex.DecodeString(tg.Env[session.KeyEnv])
	if err != nil || len(key) < 32 {
		t.Fatalf("the target's %s is not a key", session.KeyEnv)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kycdesk request v1\n"))
	m.Write([]byte(req.Method + " " + req.URL.RequestURI() + "\n"))
	m.Write(providers.ReadBody(req))
	want := hex.EncodeToString(m.Sum(nil))
	if got := st.Fingerprint(req); got != want {
		t.Errorf("Fingerprint = %s, want HMAC-SHA256 %s", got, want)
	}
	plain := plainSHA256(req)
	if st.Fingerprint(req) == plain {
		t.Error("the fingerprint is the plain SHA-256")
	}
	if again := mustRequest(t, c, v); st.Fingerprint(again) != want {
		t.Error("the same request (other headers) has another fingerprint")
	}
	s := launch(t, st, c, v)
	if s.RequestHash != want || get(t, st, s.ID).RequestHash != want {
		t.Errorf("stored fingerprint = %s, want %s", s.RequestHash, want)
	}
	// Another key, another fingerprint: a guess cannot be checked
	// without the key.
	other := Target{URL: tg.URL, Env: maps(tg.Env, session.KeyEnv, strings.Repeat("ab", 32))}
	if st2, err := session.OpenStore(other.URL, other.Getenv); err == nil {
		if st2.Fingerprint(req) == want {
			t.Error("two keys give the same fingerprint")
		}
		st2.Close()
	}
}

func maps(m map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// plainSHA256 is the journal's plain request hash (hex SHA-256 of the
// method, path and query, and body), which the store must never hold.
func plainSHA256(req *http.Request) string {
	h := sha256.New()
	h.Write([]byte(req.Method + " " + req.URL.RequestURI() + "\n"))
	h.Write(providers.ReadBody(req))
	return hex.EncodeToString(h.Sum(nil))
}

// rawDB is implemented by the stores on database/sql (session.DB).
type rawDB interface {
	SQL() *sql.DB
}

func testNoSecrets(t *testing.T, tg Target) {
	st := tg.Open(t)
	c := newClient()
	l := &launcher{Store: st}
	v := values("cust-pii", "req-pii")
	v.Set("firstName", personalName)
	v.Set("dateOfBirth", personalBirth)
	v.Set("phone", personalPhone)
	req := mustRequest(t, c, v)
	plain := plainSHA256(req)
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		return nil, &providers.Error{Kind: providers.KindUnknown, Code: "E-" + secret,
			Message: "bad " + personalName + " born " + personalBirth + " phone 44-7400123456 key " + secret,
			Action:  "ask " + strings.ToUpper(personalName)}
	}
	s, _ := l.Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, "https://user:"+secret+"@api.fake.test", v)
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		l := okLaunch(v)
		l.URL += "&sig=" + secret
		l.Extra = map[string]string{"echo": secret}
		return l, nil
	}
	if _, err := l.Retry(ctx, s, c, v); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Status(ctx, s.ID, &providers.Status{State: providers.StateApproved, Detail: "done"}, session.SourceAPI); err != nil {
		t.Fatal(err)
	}
	raw, ok := st.(rawDB)
	if !ok {
		t.Skip("the store does not expose its database")
	}
	text := dumpText(t, raw.SQL())
	for _, bad := range []string{secret, personalName, strings.ToUpper(personalName), personalBirth, "7400123456", "7400 123456", plain} {
		if strings.Contains(text, bad) {
			t.Errorf("the store holds %q", bad)
		}
	}
	if !strings.Contains(text, "cust-pii") || !strings.Contains(text, "req-pii") {
		t.Error("the dump misses what the store must keep; the check above proves nothing")
	}
}

func testAppendOnly(t *testing.T, tg Target) {
	st := tg.Open(t)
	launch(t, st, newClient(), values("cust-a", "req-a"))
	raw, ok := st.(rawDB)
	if !ok {
		t.Skip("the store does not expose its database")
	}
	db := raw.SQL()
	if _, err := db.ExecContext(ctx, `UPDATE events SET kind = 'x'`); err == nil {
		t.Error("an event was updated")
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM events`); err == nil {
		t.Error("an event was deleted")
	}
}

func testActor(t *testing.T, tg Target) {
	st := tg.Open(t)
	actx := session.WithActor(ctx, session.Actor{Operator: "Ona", Desk: "desk-12"})
	c := newClient()
	s, err := (&launcher{Store: st}).Launch(actx, descriptor("fake"), c, providers.ModeSandbox, endpoint, values("cust-act", "req-act"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Audit(actx, session.AuditEntry{Session: s.ID, Action: "resend", Detail: "code sent again"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Audit(actx, session.AuditEntry{Action: "open console"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Audit(actx, session.AuditEntry{}); err == nil {
		t.Error("an audit entry without an action was accepted")
	}
	evs, err := st.History(ctx, s.ID)
	if err != nil || len(evs) != 3 {
		t.Fatalf("history = %+v, %v", evs, err)
	}
	for _, e := range evs {
		if e.Actor != (session.Actor{Operator: "Ona", Desk: "desk-12"}) {
			t.Errorf("%s event actor = %+v", e.Kind, e.Actor)
		}
	}
	if e := evs[2]; e.Kind != session.EventAudit || e.Action != "resend" || e.Detail != "code sent again" {
		t.Errorf("audit event = %+v", e)
	}
	// An audit entry changes no session.
	if g := get(t, st, s.ID); g.State != providers.StatePending {
		t.Errorf("after an audit entry: %+v", g)
	}
	// The folded session names who launched it, and each status who
	// recorded it (a callback: nobody).
	if _, err := st.Status(session.WithActor(ctx, session.Actor{Operator: "Jonas", Desk: "desk-3"}), s.ID,
		&providers.Status{State: providers.StateApproved}, session.SourceOperator); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Status(ctx, s.ID, &providers.Status{State: providers.StateDenied}, session.SourceAPI); err != nil {
		t.Fatal(err)
	}
	g := get(t, st, s.ID)
	if g.Operator != "Ona" || g.Desk != "desk-12" || len(g.History) != 3 {
		t.Fatalf("read back: %+v", g)
	}
	if h := g.History; h[1].Operator != "Jonas" || h[1].Desk != "desk-3" || h[2].Operator != "" || h[0].Operator != "" {
		t.Errorf("history actors: %+v", h)
	}
}

func testOutcomeNotRecorded(t *testing.T, tg Target) {
	st, err := session.OpenStore(tg.URL, tg.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient()
	c.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		st.Close() // the database is gone while the request is out
		return okLaunch(v), nil
	}
	s, err := (&launcher{Store: st}).Launch(ctx, descriptor("fake"), c, providers.ModeSandbox, endpoint, values("cust-nr", "req-nr"))
	if !errors.Is(err, session.ErrNotRecorded) || !strings.Contains(err.Error(), st.Location()) {
		t.Errorf("error = %v, want ErrNotRecorded naming the store", err)
	}
	if s == nil || s.URL == "" || s.References()["scanRef"] != "scan-req-nr" {
		t.Fatalf("the launch as sent is lost: %+v", s)
	}
	g := get(t, tg.Open(t), s.ID)
	if !g.OutcomeUnknown() || g.Launched() {
		t.Errorf("recorded = %+v, want the intent only", g)
	}
}

// importer is implemented by the stores on database/sql.
type importer interface {
	ImportJournal(ctx context.Context, path string) (bool, error)
}

func testImportFixture(t *testing.T, tg Target) {
	st := tg.Open(t)
	imp, ok := st.(importer)
	if !ok {
		t.Skip("the store does not import journals")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions.jsonl")
	if err := os.WriteFile(path, Fixture, 0o600); err != nil {
		t.Fatal(err)
	}
	done, err := imp.ImportJournal(ctx, path)
	if err != nil || !done {
		t.Fatalf("import: %v, %v", done, err)
	}
	CheckFixture(t, st)
	if _, err := os.Stat(path + session.ImportedSuffix); err != nil {
		t.Errorf("the journal was not renamed: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the journal is still there: %v", err)
	}
	// Once only.
	if err := os.WriteFile(path, Fixture, 0o600); err != nil {
		t.Fatal(err)
	}
	if done, err := imp.ImportJournal(ctx, path); err != nil || done {
		t.Errorf("second import: %v, %v", done, err)
	}
	if n, _ := st.Count(ctx, session.Query{}); n != 7 {
		t.Errorf("%d sessions after a second import", n)
	}
}

// CheckFixture checks what a store holds after importing Fixture.
func CheckFixture(t testing.TB, st session.Store) {
	t.Helper()
	list, err := st.List(ctx, session.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 7 {
		t.Fatalf("%d sessions imported, want 7", len(list))
	}
	by := map[string]*session.Session{}
	for _, s := range list {
		by[s.Customer] = s
	}
	want := []struct {
		customer, provider string
		state              providers.State
		attempts, history  int
	}{
		{"desk-001", "idenfy", providers.StateApproved, 1, 3},
		{"desk-002", "idenfy", providers.StatePending, 1, 1},
		{session.CustomerKeys(keyedRegistry(), st.CustomerKey(), "u-1001")[1], "alibaba", providers.StatePending, 1, 2},
		{"****0999", "dws", providers.StatePending, 1, 2},
		{"****0996", "dws", session.StateFailed, 1, 0},
	}
	for _, w := range want {
		s := by[w.customer]
		if s == nil {
			t.Errorf("no session of %s", w.customer)
			continue
		}
		if s.Provider != w.provider || s.State != w.state || s.Attempts != w.attempts || len(s.History) != w.history ||
			s.Mode != providers.ModeSandbox || s.CreatedAt.IsZero() {
			t.Errorf("%s: %s %s attempts %d history %d", w.customer, s.Provider, s.State, s.Attempts, len(s.History))
		}
	}
	if s := by["desk-001"]; s != nil && (s.References()["scanRef"] == "" || s.URL == "" || s.History[2].Detail != "approved by the sandbox") {
		t.Errorf("desk-001 = %+v", s)
	}
	if s := by["****0996"]; s != nil && (s.LastError == nil || s.LastError.Code != "PROCESS_FAIL" || s.LastError.HTTPStatus != 200) {
		t.Errorf("failed dws = %+v", s.LastError)
	}
	var resolved, unknown int
	for _, s := range list {
		switch s.State {
		case session.StateResolved:
			resolved++
			if s.Attempts != 2 || s.Resolution != "checked at the provider: not created" || s.LastError == nil {
				t.Errorf("resolved = %+v", s)
			}
		case session.StateOutcomeUnknown:
			unknown++
			if s.Sending(time.Now()) {
				t.Error("an imported intent is taken to be still sending")
			}
		}
		if strings.Contains(s.RequestHash, "1800920bb2445769") || !strings.HasPrefix(s.RequestHash, "j1:") {
			t.Errorf("%s fingerprint %q: the plain hash must be kept only keyed", s.ID, s.RequestHash)
		}
	}
	if resolved != 1 || unknown != 1 {
		t.Errorf("resolved %d, unknown %d; want 1 and 1", resolved, unknown)
	}
	if s, err := st.Get(ctx, "1ngt94vy"); err != nil || s.Customer != "desk-001" {
		t.Errorf("Get by imported id: %v, %v", s, err)
	}
	if s, err := st.Get(ctx, "294f8f2ae65034c1b676ff6dd66b741f"); err != nil || s.Provider != "alibaba" {
		t.Errorf("Get by imported reference: %v, %v", s, err)
	}
	if hist, err := st.History(ctx, "1ngt94vf"); err != nil || len(hist) != 5 {
		t.Errorf("resolved session's history = %d events, %v; want 5", len(hist), err)
	}
	torn := false
	for _, w := range st.Warnings() {
		torn = torn || strings.Contains(w, "incomplete")
	}
	if !torn {
		t.Errorf("warnings %q do not mention the torn last line", st.Warnings())
	}
	if raw, ok := st.(rawDB); ok {
		text := dumpText(t, raw.SQL())
		if strings.Contains(text, "1800920bb2445769f9ab9db2c81ccb6993b93eb71bf74bbc5a0519dc61ed77eb") {
			t.Error("the journal's plain request hash is in the store")
		}
	}
}

// testImportedRetry: a session of unknown outcome imported from the
// journal can still be retried with the identical request (its plain
// hash kept only keyed), and only with it.
func testImportedRetry(t *testing.T, tg Target) {
	st := tg.Open(t)
	imp, ok := st.(importer)
	if !ok {
		t.Skip("the store does not import journals")
	}
	c := newClient()
	v := values("cust-legacy", "req-legacy")
	req := mustRequest(t, c, v)
	lines := []map[string]any{
		{"type": "intent", "id": "1ngt0000", "at": "2026-03-01T10:00:00.000Z", "provider": "fake", "mode": "sandbox",
			"endpoint": endpoint, "customer": "cust-legacy", "values": map[string][]string{"clientId": {"cust-legacy"}, "locale": {"en"}, "requestId": {"req-legacy"}},
			"requestSha256": plainSHA256(req), "attempt": 1},
		{"type": "outcome", "id": "1ngt0000", "at": "2026-03-01T10:00:20.000Z", "error": map[string]any{"kind": "unknown", "message": "timeout"}},
	}
	var buf bytes.Buffer
	for _, l := range lines {
		b, _ := json.Marshal(l)
		buf.Write(append(b, '\n'))
	}
	path := filepath.Join(t.TempDir(), "sessions.jsonl")
	os.WriteFile(path, buf.Bytes(), 0o600)
	if done, err := imp.ImportJournal(ctx, path); err != nil || !done {
		t.Fatalf("import: %v %v", done, err)
	}
	s := get(t, st, "1ngt0000")
	l := &launcher{Store: st}
	changed := v.Clone()
	changed.Set("locale", "lt")
	if _, err := l.Retry(ctx, s, c, changed); !errors.Is(err, session.ErrBodyChanged) {
		t.Errorf("retry with another body: %v", err)
	}
	r, err := l.Retry(ctx, s, c, v)
	if err != nil || r.State != providers.StatePending || r.Attempts != 2 {
		t.Errorf("retry of an imported session: %+v, %v", r, err)
	}
}

func testReopen(t *testing.T, tg Target) {
	st, err := session.OpenStore(tg.URL, tg.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	s := launch(t, st, newClient(), values("cust-ro", "req-ro"))
	raw, _ := st.(rawDB)
	st.Close()
	st2 := tg.Open(t)
	if g := get(t, st2, s.ID); g.URL != s.URL {
		t.Errorf("after reopening: %+v", g)
	}
	if raw == nil {
		return
	}
	db := st2.(rawDB).SQL()
	var n, v int
	if err := db.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &v); err != nil || n != v || n < 1 {
		t.Errorf("schema_migrations: %d rows, version %d, %v", n, v, err)
	}
	// A store written by a newer kycdesk is refused, not damaged.
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	if st3, err := session.OpenStore(tg.URL, tg.Getenv); err == nil || !strings.Contains(err.Error(), "newer") {
		if st3 != nil {
			st3.Close()
		}
		t.Errorf("opening a newer schema: %v", err)
	}
}

// dumpText is every value of every table, as text.
func dumpText(t testing.TB, db *sql.DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"events", "sessions", "session_docs", "refs", "meta", "schema_migrations"} {
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v\n", v)
			}
		}
		rows.Close()
	}
	return b.String()
}
