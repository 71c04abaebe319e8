package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// testOwnNewest: an operator's desk lists the sessions of its desk or its
// operator, newest first, limited, in a mode and after a page's last
// row, the same whichever index the store walks (0005 reads the desk's
// and the operator's newest apart and merges them).
func testOwnNewest(t *testing.T, tg Target) {
	st := tg.Open(t)
	c := newClient()
	type made struct {
		s    *session.Session
		by   session.Actor
		mode providers.Mode
	}
	var all []made
	actors := []session.Actor{{Operator: "alice", Desk: "desk-1"}, {Operator: "bob", Desk: "desk-2"},
		{Operator: "bob", Desk: "desk-1"}, {Operator: "alice", Desk: "desk-3"}, {Operator: "carol", Desk: "desk-2"}}
	for i := range 15 {
		by := actors[i%len(actors)]
		mode := providers.ModeSandbox
		if i%3 == 0 {
			mode = providers.ModeLive
		}
		s, err := (&launcher{Store: st}).Launch(session.WithActor(ctx, by), descriptor("fake"), c, mode, endpoint,
			values(fmt.Sprint("own-", i), fmt.Sprint("own-req-", i)))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, made{s, by, mode})
	}
	want := func(q session.Query) []string {
		var out []string
		past := q.Before == ""
		for i := len(all) - 1; i >= 0; i-- {
			m := all[i]
			if !past {
				past = m.s.ID == q.Before
				continue
			}
			if (m.by.Desk == q.Desk || m.by.Operator == q.Operator) && (q.Mode == "" || m.mode == q.Mode) {
				out = append(out, m.s.ID)
			}
		}
		if q.Limit > 0 && len(out) > q.Limit {
			out = out[:q.Limit]
		}
		return out
	}
	for _, q := range []session.Query{
		{Desk: "desk-1", Operator: "alice", Limit: 5},
		{Desk: "desk-1", Operator: "alice", Limit: 50},
		{Desk: "desk-2", Operator: "alice", Limit: 3, Mode: providers.ModeSandbox},
		{Desk: "desk-1", Operator: "carol", Limit: 4, Before: all[11].s.ID},
		{Desk: "desk-9", Operator: "zed", Limit: 5},
		{Desk: "desk-3", Operator: "nobody", Limit: 5, Mode: providers.ModeLive},
	} {
		list, err := st.List(ctx, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		var got []string
		for _, s := range list {
			got = append(got, s.ID)
		}
		if w := want(q); !slices.Equal(got, w) {
			t.Errorf("List(%+v) = %v, want %v", q, got, w)
		}
		// The whole list and its count: the desk's and the operator's
		// sessions as one condition of the query.
		all := q
		all.Limit = 0
		list, err = st.List(ctx, all)
		if err != nil {
			t.Fatalf("List(%+v): %v", all, err)
		}
		got = got[:0]
		for _, s := range list {
			got = append(got, s.ID)
		}
		if w := want(all); !slices.Equal(got, w) {
			t.Errorf("List(%+v) = %v, want %v", all, got, w)
		}
		if all.Before == "" {
			if n, err := st.Count(ctx, all); err != nil || n != len(want(all)) {
				t.Errorf("Count(%+v) = %d, %v; want %d", all, n, err, len(want(all)))
			}
		}
	}
}

// testIDsInABurst: launches at the same second, more than its 32 slots
// and from two stores at once, all get ids, each its own; the second's
// slots go first, then the following seconds', in order.
func testIDsInABurst(t *testing.T, tg Target) {
	a, b := tg.Open(t), tg.Open(t)
	bctx, cancel := context.WithTimeout(ctx, hangGuard)
	defer cancel()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	const n = 80
	ids := make(chan string, n)
	errs := make(chan error, n)
	for i := range n {
		st := a
		if i%2 == 1 {
			st = b
		}
		go func() {
			cust := fmt.Sprint("burst-id-", i)
			req, err := newClient().Request(bctx, values(cust, "req-"+cust))
			if err != nil {
				errs <- err
				return
			}
			s, err := st.Intent(bctx, session.Intent{Provider: "fake", Mode: providers.ModeSandbox, Customer: cust, At: at,
				Values: values(cust, "req-"+cust), Request: req})
			if err != nil {
				errs <- err
				return
			}
			ids <- s.ID
		}()
	}
	seen := map[string]bool{}
	for range n {
		select {
		case err := <-errs:
			t.Fatalf("a launch of the burst: %v", err)
		case id := <-ids:
			if seen[id] {
				t.Fatalf("id %s given twice", id)
			}
			seen[id] = true
		}
	}
	var all []string
	for id := range seen {
		all = append(all, id)
	}
	slices.Sort(all)
	// The 32 slots of the launch's second are its 8th character; the
	// first seven name the second (ids sort by time).
	second := all[0][:7]
	inSecond := 0
	for _, id := range all {
		if id[:7] == second {
			inSecond++
		}
	}
	if inSecond != 32 {
		t.Errorf("%d of %d ids in the launch's second (%s…), want all 32 slots: %v", inSecond, n, second, all)
	}
}

// testClaimsPassOverLockedIDs: launches in one batch whose ids another
// transaction is claiming (it holds their locks: a serve of an earlier
// release, which claims an id before it takes the chain's lock) get other
// ids, each its own, and the chain stays intact. On PostgreSQL the batch
// first sends its claims together, as if their ids were free: a claim
// that finds its id locked must send the batch again, one claim at a
// time, not record a launch that was never inserted.
func testClaimsPassOverLockedIDs(t *testing.T, tg Target) {
	st, h, raw := openLockingStore(t, tg)
	at := time.Date(2026, 3, 4, 5, 6, 9, 0, time.UTC)
	other := otherTransaction(t, raw)
	locked := map[string]bool{}
	for slot := range uint64(32) {
		id := sessionID(uint64(at.Unix())<<5 | slot)
		locked[id] = true
		if _, err := other.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, sessionLockKey(id)); err != nil {
			t.Fatal(err)
		}
	}
	release, queued := h.HoldWrites()
	defer release()
	intent := func(cust string, id *string) func() error {
		return func() error {
			req, err := newClient().Request(ctx, values(cust, "req-"+cust))
			if err != nil {
				return err
			}
			s, err := st.Intent(ctx, session.Intent{Provider: "fake", Mode: providers.ModeSandbox, Customer: cust, At: at,
				Values: values(cust, "req-"+cust), Request: req})
			if err == nil {
				*id = s.ID
			}
			return err
		}
	}
	var ids [3]string
	res := queueWrites(t, queued,
		func() error { return st.Audit(ctx, session.AuditEntry{Action: "note", Detail: "first"}) }, // takes the chain
		intent("locked-1", &ids[1]), intent("locked-2", &ids[2]))
	release()
	for i, c := range res {
		if err := result(t, c); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if ids[1] == ids[2] || locked[ids[1]] || locked[ids[2]] {
		t.Errorf("ids %s and %s: each its own, none of those locked", ids[1], ids[2])
	}
	for _, id := range ids[1:] {
		if g := get(t, st, id); g.Customer == "" || g.State != session.StateOutcomeUnknown {
			t.Errorf("%s: customer %q, state %s, want the launch's intent", id, g.Customer, g.State)
		}
	}
	if err := other.Rollback(); err != nil {
		t.Fatal(err)
	}
	if r := verify(t, st); r.Broken != nil || r.Sessions != 2 {
		t.Errorf("chain: %+v %v", r, r.Broken)
	}
}

// sessionID is the session id of n: 35 bits of Unix seconds and 5 of the
// second's slot, in Crockford's base32, lower case (session/id.go).
func sessionID(n uint64) string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = alphabet[n&31]
		n >>= 5
	}
	return string(b)
}
