package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// The record's rules, the MAC chain and the legacy import's cleaning:
// what the store guarantees whatever its callers do.

// verify checks the store's MAC chain (session.DB.Verify).
func verify(t testing.TB, st session.Store) *session.ChainReport {
	t.Helper()
	v, ok := st.(interface {
		Verify(context.Context) (*session.ChainReport, error)
	})
	if !ok {
		t.Skip("the store keeps no chain")
	}
	r, err := v.Verify(ctx)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func status(t testing.TB, st session.Store, id string, state providers.State, detail string, src session.Source) *session.Session {
	t.Helper()
	s, err := st.Status(ctx, id, &providers.Status{State: state, Detail: detail}, src)
	if err != nil {
		t.Fatalf("status %s %s: %v", state, src, err)
	}
	return s
}

func testRecordRules(t *testing.T, tg Target) {
	st := tg.Open(t)
	s := launch(t, st, newClient(), values("cust-r", "req-r"))
	count := func() int { return len(kinds(t, st, s.ID)) }

	// An identical status appends nothing; a different detail does.
	status(t, st, s.ID, providers.StatePending, "ACTIVE", session.SourceAPI)
	n := count()
	status(t, st, s.ID, providers.StatePending, "ACTIVE", session.SourceAPI)
	if count() != n {
		t.Error("an identical status was appended")
	}
	status(t, st, s.ID, providers.StatePending, "automatic result, review follows", session.SourceCallback)
	// The decision.
	g := status(t, st, s.ID, providers.StateApproved, "APPROVED", session.SourceCallback)
	if g.State != providers.StateApproved {
		t.Fatalf("state = %s", g.State)
	}
	n = count()
	// Nothing reopens it: a poll, a final:false webhook, an unknown, an
	// expiry, the operator, the same verdict again.
	for _, tc := range []struct {
		state  providers.State
		detail string
		src    session.Source
	}{
		{providers.StatePending, "ACTIVE", session.SourceAPI},
		{providers.StatePending, "not final", session.SourceCallback},
		{providers.StateUnknown, "?", session.SourceAPI},
		{providers.StateExpired, "link expired", session.SourceAPI},
		{providers.StateDenied, "the operator thinks so", session.SourceOperator},
		{session.StateResolved, "closed out", session.SourceOperator},
		{providers.StateApproved, "APPROVED again, other detail", session.SourceAPI},
	} {
		if g := status(t, st, s.ID, tc.state, tc.detail, tc.src); g.State != providers.StateApproved {
			t.Errorf("%s from %s reopened the approval: %s", tc.state, tc.src, g.State)
		}
	}
	if count() != n {
		t.Errorf("%d events appended to a decided session", count()-n)
	}
	// A later verdict from the provider supersedes it; both are kept.
	g = status(t, st, s.ID, providers.StateDenied, "MANUAL_FINISHED: DENIED", session.SourceCallback)
	h := g.History
	if g.State != providers.StateDenied || len(h) < 2 || h[len(h)-2].State != providers.StateApproved ||
		h[len(h)-1].Source != session.SourceCallback || h[len(h)-2].Source != session.SourceCallback {
		t.Errorf("superseded: %s %+v", g.State, h)
	}
	// Read back from the store (another connection), with the sources.
	g = get(t, tg.Open(t), s.ID)
	if g.State != providers.StateDenied || g.History[0].Source != session.SourceLaunch {
		t.Errorf("read back: %s %+v", g.State, g.History)
	}
	evs, err := st.History(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if (e.Kind == session.EventStatus && e.Source == "") || (e.Kind == session.EventOutcome && e.Source != session.SourceLaunch) {
			t.Errorf("event %d (%s) has source %q", e.Seq, e.Kind, e.Source)
		}
	}
	// An expired link the customer finished after all: the provider's
	// verdict supersedes the expiry.
	x := launch(t, st, newClient(), values("cust-x", "req-x"))
	status(t, st, x.ID, providers.StateExpired, "EXPIRED", session.SourceAPI)
	if g := status(t, st, x.ID, providers.StateApproved, "APPROVED", session.SourceCallback); g.State != providers.StateApproved {
		t.Errorf("a verdict after an expiry: %s", g.State)
	}
	// A status without a known source is refused.
	if _, err := st.Status(ctx, x.ID, &providers.Status{State: providers.StateDenied}, ""); err == nil {
		t.Error("a status without a source was recorded")
	}
}

// tamper runs SQL on the store's database with the events' append-only
// triggers lifted, as someone with database access would.
func tamper(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, lift := range []string{"DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete",
		"ALTER TABLE events DISABLE TRIGGER events_no_change"} {
		_, _ = db.ExecContext(ctx, lift) // the other dialect's fails
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func testChain(t *testing.T, fresh func(testing.TB) Target) {
	cases := []struct {
		name string
		do   func(db *sql.DB, a, b *session.Session, seqs []int64) []string
		want string // in the break's description
		who  func(a, b *session.Session) string
	}{
		{"edited", func(db *sql.DB, a, b *session.Session, seqs []int64) []string {
			return []string{"UPDATE events SET data = replace(data, 'cust-c1', 'cust-zz') WHERE seq = " + itoa(seqs[0])}
		}, "changed", func(a, b *session.Session) string { return a.ID }},
		{"inserted", func(db *sql.DB, a, b *session.Session, seqs []int64) []string {
			// A forged approval appended with a made-up MAC (the key is
			// not in the store), the row folded to say so.
			return []string{"INSERT INTO events (session_id, kind, at, operator, desk, data, mac) VALUES ('" + a.ID +
				"', 'status', 1, '', '', '{\"state\":\"approved\",\"source\":\"signed callback\"}', 'forged')",
				"UPDATE sessions SET state = 'approved', last_seq = (SELECT max(seq) FROM events) WHERE id = '" + a.ID + "'"}
		}, "inserted", func(a, b *session.Session) string { return a.ID }},
		{"deleted", func(db *sql.DB, a, b *session.Session, seqs []int64) []string {
			return []string{"DELETE FROM events WHERE seq = " + itoa(seqs[1])}
		}, "missing", func(a, b *session.Session) string { return b.ID }},
		{"session state", func(db *sql.DB, a, b *session.Session, seqs []int64) []string {
			return []string{"UPDATE sessions SET state = 'approved' WHERE id = '" + a.ID + "'"}
		}, `says "approved"`, func(a, b *session.Session) string { return a.ID }},
		{"session removed", func(db *sql.DB, a, b *session.Session, seqs []int64) []string {
			return []string{"DELETE FROM session_docs WHERE num = (SELECT num FROM sessions WHERE id = '" + b.ID + "')",
				"DELETE FROM refs WHERE num = (SELECT num FROM sessions WHERE id = '" + b.ID + "')",
				"DELETE FROM sessions WHERE id = '" + b.ID + "'"}
		}, "removed", func(a, b *session.Session) string { return b.ID }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := fresh(t).Open(t)
			raw, ok := st.(rawDB)
			if !ok {
				t.Skip("the store does not expose its database")
			}
			a := launch(t, st, newClient(), values("cust-c1", "req-c1"))
			b := launch(t, st, newClient(), values("cust-c2", "req-c2"))
			// An operator's action on a session (an audit entry) leaves its
			// row as it was: not a break.
			if err := st.Audit(ctx, session.AuditEntry{Session: b.ID, Action: "status", Detail: "asked"}); err != nil {
				t.Fatal(err)
			}
			status(t, st, b.ID, providers.StateDenied, "DENIED", session.SourceCallback)
			if err := st.Audit(ctx, session.AuditEntry{Session: b.ID, Action: "note", Detail: "after"}); err != nil {
				t.Fatal(err)
			}
			if err := st.Audit(ctx, session.AuditEntry{Action: "note", Detail: "about no session"}); err != nil {
				t.Fatal(err)
			}
			r := verify(t, st)
			if r.Broken != nil || r.Events != 8 || r.Sessions != 2 {
				t.Fatalf("before: %+v %v", r, r.Broken)
			}
			evsA, _ := st.History(ctx, a.ID)
			evsB, _ := st.History(ctx, b.ID)
			tamper(t, raw.SQL(), tc.do(raw.SQL(), a, b, []int64{evsA[0].Seq, evsB[0].Seq})...)
			r = verify(t, st)
			if r.Broken == nil || !strings.Contains(r.Broken.What, tc.want) || r.Broken.Session != tc.who(a, b) {
				t.Errorf("after %s: %+v", tc.name, r.Broken)
			}
		})
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// testImportCleans: a journal of an earlier release holding personal
// values, credentials in an endpoint and escape characters, imported
// under today's rules; and a store that imported one before those rules
// is cleaned when it is opened. Neither keeps a value, nor its plain
// SHA-256.
func testImportCleans(t *testing.T, tg Target) {
	st := tg.Open(t)
	raw, ok := st.(rawDB)
	imp, ok2 := st.(importer)
	if !ok || !ok2 {
		t.Skip("the store does not import journals")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "sessions.jsonl")
	if err := os.WriteFile(path, DirtyJournal, 0o600); err != nil {
		t.Fatal(err)
	}
	if done, err := imp.ImportJournal(ctx, path); err != nil || !done {
		t.Fatalf("import: %v %v", done, err)
	}
	checkClean(t, tg, raw.SQL(), "after the import")
	if r := verify(t, st); r.Broken != nil {
		t.Errorf("chain after the import: %v", r.Broken)
	}
	// The user-facing reading: nothing personal comes back either.
	list, _ := st.List(ctx, session.Query{})
	for _, s := range list {
		if len(s.Values()) != 0 || strings.Contains(s.Endpoint, "@") {
			t.Errorf("imported %s keeps %v / %s", s.ID, s.Values(), s.Endpoint)
		}
	}
}

// DirtyJournal is an earlier release's journal as a careless one wrote
// it: names, a date of birth, a phone number, a password in an endpoint,
// an escape sequence and a bidi control, a plain SHA-256 customer.
var DirtyJournal = []byte(strings.Join([]string{
	`{"type":"intent","id":"dirty001","at":"2026-11-01T10:00:00Z","provider":"idenfy","mode":"live","endpoint":"https://admin:` + dirtyPassword + `@ivs.idenfy.com","customer":"+44 7400 123456","values":{"clientId":["c-1"],"firstName":["` + personalName + `"],"dateOfBirth":["` + personalBirth + `"],"phone":["` + personalPhone + `"]},"requestSha256":"` + strings.Repeat("ab", 32) + `","attempt":1}`,
	`{"type":"outcome","id":"dirty001","at":"2026-11-01T10:00:01Z","references":{"scanRef":"scan-d1\u001b[31m"},"url":"https://user:` + dirtyPassword + `@ivs.idenfy.com/r?x=1","expiresAt":"2026-11-02T10:00:00Z"}`,
	`{"type":"status","id":"dirty001","at":"2026-11-01T10:05:00Z","status":"approved","detail":"ok \u202e` + personalName + `"}`,
	`{"type":"intent","id":"dirty002","at":"2026-11-01T11:00:00Z","provider":"alibaba","mode":"live","endpoint":"https://cloudauth-intl.cn-hongkong.aliyuncs.com","customer":"` + sha256Hex(personalPhone) + `","values":{"MerchantUserId":["` + personalPhone + `"]}}`,
}, "\n") + "\n")

const dirtyPassword = "hunter2-pw"

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// checkClean fails when the database holds any of the dirty journal's
// personal values, its password or escape characters, or a plain SHA-256
// of a personal value.
func checkClean(t testing.TB, tg Target, db *sql.DB, when string) {
	t.Helper()
	text := dumpText(t, db)
	for _, bad := range []string{"\x1b", "\u202e"} { // in what a query reads (a file's bytes hold 0x1b anywhere)
		if strings.Contains(text, bad) {
			t.Errorf("%s the store holds %q", when, bad)
		}
	}
	if tg.Raw != nil {
		text += "\n" + string(tg.Raw(t))
	} else {
		t.Log("the backend gives no raw bytes: only what a query reads is checked")
	}
	for _, bad := range []string{personalName, strings.ToUpper(personalName), personalBirth, "7400 123456", "7400123456",
		dirtyPassword, sha256Hex(personalPhone), sha256Hex(personalName), sha256Hex("7400123456")} {
		if strings.Contains(text, bad) {
			t.Errorf("%s the store holds %q", when, bad)
		}
	}
}

// testMigrationCleans: a store an earlier release wrote (no chain) that
// imported a journal under that release's rules, raw values and all, is
// cleaned and sealed into the chain when this release opens it; both are
// said once and recorded as an event.
func testMigrationCleans(t *testing.T, tg Target) {
	st := tg.Open(t)
	raw, ok := st.(rawDB)
	if !ok {
		t.Skip("the store does not expose its database")
	}
	kept := launch(t, st, newClient(), values("cust-m", "req-m")) // written by this release, then unchained below
	db := raw.SQL()
	dirty := func(v string) string { return strings.ReplaceAll(v, "'", "''") }
	intent := `{"provider":"idenfy","mode":"live","endpoint":"https://admin:` + dirtyPassword + `@ivs.idenfy.com","customer":"+44 7400 123456",` +
		`"values":{"clientId":["c-1"],"firstName":["` + personalName + `"],"dateOfBirth":["` + personalBirth + `"],"phone":["` + personalPhone + `"]},"attempt":1}`
	outcome := `{"references":{"scanRef":"scan-m1"},"url":"https://u:` + dirtyPassword + `@ivs.idenfy.com/r","expiresAt":"2026-11-02T10:00:00Z"}`
	statusDoc := `{"state":"approved","detail":"ok \u001b[31m` + personalName + `"}`
	doc := `{"endpoint":"https://admin:` + dirtyPassword + `@ivs.idenfy.com","values":{"firstName":["` + personalName + `"]},"attempts":1,` +
		`"launchedAt":"2026-11-01T10:00:01Z","references":{"scanRef":"scan-m1"},"history":[{"state":"approved","detail":"` + personalName + `","at":"2026-11-01T10:05:00Z"}]}`
	tamper(t, db, `DELETE FROM schema_migrations WHERE version = 2`, `ALTER TABLE events DROP COLUMN mac`)
	var seqs []int64
	for _, ev := range [][3]string{{"intent", "1761991200000", intent}, {"outcome", "1761991201000", outcome},
		{"status", "1761991500000", statusDoc}} {
		var seq int64
		if err := db.QueryRowContext(ctx, `INSERT INTO events (session_id, kind, at, operator, desk, data) VALUES ('mig00001', '`+
			ev[0]+`', `+ev[1]+`, '', '', '`+dirty(ev[2])+`') RETURNING seq`).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	tamper(t, db,
		`INSERT INTO sessions (num, id, provider, mode, customer, state, created_at, active_until, sending_until, last_seq, search)
VALUES (`+itoa(seqs[0])+`, 'mig00001', 'idenfy', 'live', '+44 7400 123456', 'approved', 1761991200000, NULL, NULL, `+itoa(seqs[2])+`, 'mig00001 `+personalName+`')`,
		`INSERT INTO session_docs (num, doc) VALUES (`+itoa(seqs[0])+`, '`+dirty(doc)+`')`,
	)
	st.Close()

	st2 := tg.Open(t)
	w := strings.Join(st2.Warnings(), "\n")
	if !strings.Contains(w, "cleaned 1 sessions imported") || !strings.Contains(w, "sealed into its new MAC chain") {
		t.Errorf("warnings = %q", w)
	}
	checkClean(t, tg, st2.(rawDB).SQL(), "after the migration")
	r := verify(t, st2)
	if r.Broken != nil || r.Sealed != 5 || r.Events != 6 || r.Sessions != 2 {
		t.Errorf("after the migration: %+v, %v", r, r.Broken)
	}
	g := get(t, st2, "mig00001")
	if g.State != providers.StateApproved || len(g.Values()) != 0 || g.Customer != "+44*****3456" && !strings.Contains(g.Customer, "*") {
		t.Errorf("cleaned session: %+v", g)
	}
	if g := get(t, st2, kept.ID); g.State != providers.StatePending || g.Values().Get("clientId") != "cust-m" {
		t.Errorf("a session of this release was changed: %+v", g)
	}
	evs, _ := st2.History(ctx, "")
	found := false
	for _, e := range evs {
		found = found || (e.Kind == session.EventAudit && e.Action == "migration")
	}
	if !found {
		t.Error("the cleaning is not recorded as an event")
	}
	st2.Close()
	if w := tg.Open(t).Warnings(); len(w) != 0 {
		t.Errorf("said again on the next open: %q", w)
	}
}

// testBurst: more launches at once than a store has pooled connections
// (PostgreSQL: 16), each writing intent and outcome: all of them finish.
// A transaction that needed a second connection (preparing a statement
// outside itself) waited for ever once every connection was held.
func testBurst(t *testing.T, tg Target) {
	st := tg.Open(t)
	bctx, cancel := context.WithTimeout(ctx, hangGuard)
	defer cancel()
	const n = 48
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c := newClient()
			_, err := (&launcher{Store: st}).Launch(bctx, descriptor("fake"), c, providers.ModeSandbox, endpoint,
				values("cust-burst-"+itoa(int64(i)), "req-burst-"+itoa(int64(i))))
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("a launch of the burst: %v", err)
		}
	}
	if r := verify(t, st); r.Broken != nil || r.Sessions != n {
		t.Errorf("after the burst: %+v %v", r, r.Broken)
	}
}

// testWritesSeeRowsChangedElsewhere: a write folds its event onto the
// session's row as it is in the database, never onto the row as this
// store last wrote it (a store may write without reading a row it wrote
// itself, on condition that it is unchanged: PostgreSQL, a write after
// another in a batch): not when another store wrote the session since,
// nor when someone changed the row by hand, whose evidence a write must
// not erase.
func testWritesSeeRowsChangedElsewhere(t *testing.T, tg Target) {
	st, other := tg.Open(t), tg.Open(t)
	h, ok := st.(holder)
	if !ok {
		t.Skip("the store does not group its writes")
	}
	// status records a status in a batch after an audit entry (which
	// takes the chain's lock first).
	status := func(id string, st session.Store, state providers.State, detail string) (*session.Session, error) {
		release, queued := h.HoldWrites()
		defer release()
		var g *session.Session
		res := queueWrites(t, queued,
			func() error { return st.Audit(ctx, session.AuditEntry{Session: id, Action: "note", Detail: "before"}) },
			func() error {
				var err error
				g, err = st.Status(ctx, id, &providers.Status{State: state, Detail: detail}, session.SourceAPI)
				return err
			})
		release()
		if err := result(t, res[0]); err != nil {
			t.Fatalf("audit: %v", err)
		}
		return g, result(t, res[1])
	}

	s := launch(t, st, newClient(), values("cust-w1", "req-w1"))
	if _, err := other.Status(ctx, s.ID, &providers.Status{State: providers.StatePending, Detail: "ACTIVE"}, session.SourceAPI); err != nil {
		t.Fatal(err)
	}
	g, err := status(s.ID, st, providers.StateApproved, "APPROVED")
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, h := range g.History {
		details = append(details, h.Detail)
	}
	if len(g.History) != 3 || g.History[1].Detail != "ACTIVE" {
		t.Errorf("the other store's status is missing from the session this store wrote after it: %q", details)
	}
	if got := get(t, other, s.ID); got.State != providers.StateApproved || len(got.History) != 3 {
		t.Errorf("as the other store reads it: %s, %d changes", got.State, len(got.History))
	}

	raw, ok := st.(rawDB)
	if !ok {
		t.Skip("the store does not expose its database")
	}
	b := launch(t, st, newClient(), values("cust-w2", "req-w2"))
	tamper(t, raw.SQL(), "UPDATE sessions SET state = 'approved' WHERE id = '"+b.ID+"'")
	_, _ = status(b.ID, st, providers.StatePending, "ACTIVE")
	if r := verify(t, st); r.Broken == nil || r.Broken.Session != b.ID {
		t.Errorf("after a write to a session whose row was changed by hand, the change is no longer seen: %+v", r.Broken)
	}
}
