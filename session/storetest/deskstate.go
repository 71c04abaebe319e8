package storetest

import (
	"context"
	"testing"

	"github.com/kycdesk/kycdesk/session"
)

// deskStater is the store's record of where each served desk was.
type deskStater interface {
	SetDeskState(ctx context.Context, desk, id, screen string) error
	DeskState(ctx context.Context, desk string) (session.DeskState, bool, error)
}

// testDeskState: a desk's session is kept, replaced, cleared, and
// outlives the store being closed (a serve restart).
func testDeskState(t *testing.T, tg Target) {
	st := tg.Open(t)
	ds, ok := st.(deskStater)
	if !ok {
		t.Skip("the store keeps no desk state")
	}
	if _, found, err := ds.DeskState(ctx, "desk-1"); found || err != nil {
		t.Fatalf("a desk never seen: %v %v", found, err)
	}
	for _, id := range []string{"k7f3qa01", "K7F3QA02"} {
		if err := ds.SetDeskState(ctx, "desk-1", id, session.ScreenResult); err != nil {
			t.Fatal(err)
		}
	}
	if err := ds.SetDeskState(ctx, "desk-2", "k7f3qa09", session.ScreenResult); err != nil {
		t.Fatal(err)
	}
	st.Close()
	ds = tg.Open(t).(deskStater)
	got, found, err := ds.DeskState(ctx, "desk-1")
	if err != nil || !found || got.Session != "k7f3qa02" || got.Screen != session.ScreenResult || got.At.IsZero() {
		t.Fatalf("desk-1 after a reopen: %+v %v %v", got, found, err)
	}
	if err := ds.SetDeskState(ctx, "desk-1", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := ds.DeskState(ctx, "desk-1"); found {
		t.Error("a cleared desk still has a session")
	}
	if got, found, _ := ds.DeskState(ctx, "desk-2"); !found || got.Session != "k7f3qa09" {
		t.Errorf("desk-2: %+v", got)
	}
}
