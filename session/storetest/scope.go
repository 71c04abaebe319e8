package storetest

import (
	"fmt"
	"slices"
	"testing"

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
	}
}
