package storetest

import (
	"context"
	"database/sql"
	"errors"
	"hash/fnv"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// holder is a store whose concurrent writes share a transaction and its
// commit (session.DB, group commit): the test holds them back so that they
// are in one batch.
type holder interface {
	HoldWrites() (release func(), queued func() int)
}

// queueWrites starts each write in order, waiting until it is queued
// behind the one before (or was refused before it reached the store), so
// that the batch runs them in this order.
func queueWrites(t *testing.T, queued func() int, writes ...func() error) []chan error {
	t.Helper()
	out := make([]chan error, len(writes))
	deadline := time.Now().Add(hangGuard)
	want := 0
	for i, w := range writes {
		out[i] = make(chan error, 1)
		ended := make(chan struct{})
		go func() {
			err := w()
			out[i] <- err
			close(ended)
		}()
		want++
	wait:
		for queued() < want {
			select {
			case <-ended: // refused before the store: never queued
				want--
				break wait
			case <-time.After(time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("write %d never queued", i)
			}
		}
	}
	return out
}

func result(t *testing.T, c chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(hangGuard):
		t.Fatal("a write never ended")
		return nil
	}
}

// testGroupedWrites: writes committed together keep every rule of the
// record one by one. Each sees the writes before it in the batch, a
// refused one changes nothing and does not stop the others, and the chain
// stays intact.
func testGroupedWrites(t *testing.T, tg Target) {
	st := tg.Open(t)
	h, ok := st.(holder)
	if !ok {
		t.Skip("the store does not group its writes")
	}
	ds, _ := st.(deskStater)
	c := newClient()
	l := &launcher{Store: st}
	pending, err := l.Launch(ctx, descriptor("fake"), c, providers.ModeLive, endpoint, values("cust-g1", "g1"))
	if err != nil {
		t.Fatal(err)
	}
	decided := launch(t, st, c, values("cust-g2", "g2"))
	status(t, st, decided.ID, providers.StateApproved, "APPROVED", session.SourceCallback)
	before := verify(t, st)
	nBefore, _ := st.Count(ctx, session.Query{})

	// Another handle hears the batch's changes (PostgreSQL: notices sent
	// together at its end).
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes, err := tg.Open(t).Subscribe(sctx)
	if err != nil {
		t.Fatal(err)
	}

	release, queued := h.HoldWrites()
	defer release()
	var newID string
	intent := func(cust string, mode providers.Mode) func() error {
		return func() error {
			s, err := l.Launch(ctx, descriptor("fake"), c, mode, endpoint, values(cust, "req-"+cust))
			if err == nil {
				newID = s.ID
			}
			return err
		}
	}
	res := queueWrites(t, queued,
		intent("cust-g3", providers.ModeLive), // a new customer: recorded
		intent("cust-g1", providers.ModeLive), // pending already: refused (the guard)
		intent("cust-g3", providers.ModeLive), // pending since the first write of this batch: refused
		func() error { // a decided session is not reopened: nothing appended
			_, err := st.Status(ctx, decided.ID, &providers.Status{State: providers.StatePending, Detail: "ACTIVE"}, session.SourceAPI)
			return err
		},
		func() error { // no source: refused
			_, err := st.Status(ctx, pending.ID, &providers.Status{State: providers.StateDenied}, "")
			return err
		},
		func() error { // recorded
			_, err := st.Status(ctx, pending.ID, &providers.Status{State: providers.StateApproved, Detail: "APPROVED"}, session.SourceCallback)
			return err
		},
		func() error {
			_, err := st.Outcome(ctx, "zzzzzzzz", session.Outcome{})
			return err
		},
		func() error {
			if ds == nil {
				return nil
			}
			return ds.SetDeskState(ctx, "desk-g", pending.ID, session.ScreenResult)
		},
		func() error {
			return st.Audit(ctx, session.AuditEntry{Session: pending.ID, Action: "note", Detail: "grouped"})
		},
	)
	release()
	// The launches: the first writes its intent, then (once held writes
	// are let go) its outcome in a later batch.
	if err := result(t, res[0]); err != nil {
		t.Errorf("the new customer's launch: %v", err)
	}
	for i, name := range map[int]string{1: "an earlier pending session", 2: "a session pending since the same batch"} {
		if err := result(t, res[i]); !errors.Is(err, session.ErrDuplicate) {
			t.Errorf("a live launch for %s: %v, want a duplicate refusal", name, err)
		}
	}
	if err := result(t, res[3]); err != nil {
		t.Errorf("a status for a decided session: %v", err)
	}
	if err := result(t, res[4]); err == nil {
		t.Error("a status without a source was recorded")
	}
	if err := result(t, res[5]); err != nil {
		t.Errorf("the approval: %v", err)
	}
	if err := result(t, res[6]); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("an outcome for no session: %v", err)
	}
	if err := result(t, res[7]); err != nil {
		t.Errorf("the desk state: %v", err)
	}
	if err := result(t, res[8]); err != nil {
		t.Errorf("the audit entry: %v", err)
	}

	if n, _ := st.Count(ctx, session.Query{}); n != nBefore+1 {
		t.Errorf("%d sessions after the batch, want %d", n, nBefore+1)
	}
	wantKinds(t, st, decided.ID, session.EventIntent, session.EventOutcome, session.EventStatus)
	wantKinds(t, st, pending.ID, session.EventIntent, session.EventOutcome, session.EventStatus, session.EventAudit)
	if g := get(t, st, pending.ID); g.State != providers.StateApproved {
		t.Errorf("approved in the batch, read back %s", g.State)
	}
	if ds != nil {
		if got, found, err := ds.DeskState(ctx, "desk-g"); !found || err != nil || got.Session != pending.ID {
			t.Errorf("desk state: %+v %v %v", got, found, err)
		}
	}
	heard := map[string]bool{}
	for deadline := time.After(hangGuard); !heard[pending.ID] || !heard[newID]; {
		select {
		case ch := <-changes:
			for _, id := range ch.IDs {
				heard[id] = true
			}
		case <-deadline:
			t.Fatalf("changes heard %v, want %s and %s", heard, pending.ID, newID)
		}
	}
	after := verify(t, st)
	// intent, outcome (the new launch), status, audit
	if after.Broken != nil || after.Events != before.Events+4 {
		t.Errorf("chain after the batch: %d events (before %d), %+v", after.Events, before.Events, after.Broken)
	}
}

// openLockingStore opens tg's store for a test of writes that meet another
// transaction's locks: PostgreSQL only (its advisory locks), with the
// store's write queue held at will and its database at hand.
func openLockingStore(t *testing.T, tg Target) (session.Store, holder, rawDB) {
	t.Helper()
	st := tg.Open(t)
	h, ok := st.(holder)
	raw, ok2 := st.(rawDB)
	if !ok || !ok2 || !isPostgres(tg.URL) {
		t.Skip("PostgreSQL's advisory locks")
	}
	return st, h, raw
}

// testGroupNeverWaitsHoldingTheChain: a write of a batch that needs a lock
// another transaction holds, after the batch took the chain's lock, goes
// to the next batch instead of waiting (waiting there, holding the chain,
// could deadlock with that transaction); the writes before it commit.
// PostgreSQL only: SQLite's writers are serialised by the database.
func testGroupNeverWaitsHoldingTheChain(t *testing.T, tg Target) {
	st, h, raw := openLockingStore(t, tg)
	s := launch(t, st, newClient(), values("cust-w", "req-w"))
	// Another transaction holds the session's lock (a status being
	// recorded by another serve).
	other := otherTransaction(t, raw)
	if _, err := other.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, sessionLockKey(s.ID)); err != nil {
		t.Fatal(err)
	}
	release, queued := h.HoldWrites()
	defer release()
	res := queueWrites(t, queued,
		func() error { return st.Audit(ctx, session.AuditEntry{Action: "note", Detail: "first"}) }, // takes the chain
		func() error {
			_, err := st.Status(ctx, s.ID, &providers.Status{State: providers.StateApproved}, session.SourceCallback)
			return err
		},
	)
	release()
	// The audit entry commits while the status waits for the lock.
	if err := result(t, res[0]); err != nil {
		t.Fatalf("audit: %v", err)
	}
	select {
	case err := <-res[1]:
		t.Fatalf("the status ended while another transaction held its session: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := other.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		t.Fatal(err)
	}
	if err := result(t, res[1]); err != nil {
		t.Fatalf("the status after the lock was released: %v", err)
	}
	if g := get(t, st, s.ID); g.State != providers.StateApproved {
		t.Errorf("state %s", g.State)
	}
	if r := verify(t, st); r.Broken != nil {
		t.Errorf("chain: %+v", r.Broken)
	}
}

// otherTransaction is a transaction of another connection to raw's
// database (another serve's), rolled back when the test ends unless it
// ended before.
func otherTransaction(t *testing.T, raw rawDB) *sql.Tx {
	t.Helper()
	conn, err := raw.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		other.Rollback()
		conn.Close()
	})
	return other
}

// sessionLockKey is the advisory lock key of a session's writes
// (session.lockKey of "id\x00"+id: FNV-1a, 64 bits).
func sessionLockKey(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte("id\x00" + id))
	return int64(h.Sum64())
}

func isPostgres(url string) bool {
	kind, _, err := session.StoreKind(url)
	return err == nil && kind == "postgres"
}

// referencer finds a session by a provider's reference (a callback's).
type referencer interface {
	ByReference(ctx context.Context, provider string, mode providers.Mode, ref string) (*session.Session, error)
}

// testByReference: an outcome's references find its session (each of
// them, for its provider and mode only); a failed launch's find nothing;
// a reference two launches share finds the newer.
func testByReference(t *testing.T, tg Target) {
	st := tg.Open(t)
	br, ok := st.(referencer)
	if !ok {
		t.Skip("the store has no lookup by reference")
	}
	a := launch(t, st, newClient(), values("cust-ref1", "ref-1"))
	for _, ref := range []string{"scan-ref-1", "tok-ref-1"} {
		if g, err := br.ByReference(ctx, "fake", providers.ModeSandbox, ref); err != nil || g.ID != a.ID {
			t.Errorf("by %s: %+v, %v; want %s", ref, g, err, a.ID)
		}
	}
	if _, err := br.ByReference(ctx, "fake", providers.ModeLive, "scan-ref-1"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("another mode: %v", err)
	}
	if _, err := br.ByReference(ctx, "other", providers.ModeSandbox, "scan-ref-1"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("another provider: %v", err)
	}
	failed := newClient()
	failed.launch = func(ctx context.Context, v providers.Values) (*providers.Launch, error) {
		l := okLaunch(v)
		return l, &providers.Error{Kind: providers.KindInvalid, Message: "refused"}
	}
	(&launcher{Store: st}).Launch(ctx, descriptor("fake"), failed, providers.ModeSandbox, endpoint, values("cust-ref2", "ref-2"))
	if g, err := br.ByReference(ctx, "fake", providers.ModeSandbox, "scan-ref-2"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("a failed launch's reference found %+v, %v", g, err)
	}
	b := launch(t, st, newClient(), values("cust-ref3", "ref-1")) // the same references again
	if g, err := br.ByReference(ctx, "fake", providers.ModeSandbox, "scan-ref-1"); err != nil || g.ID != b.ID {
		t.Errorf("a shared reference: %+v, %v; want the newer %s", g, err, b.ID)
	}
}
