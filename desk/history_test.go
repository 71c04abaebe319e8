package desk

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// What another process records in the store (here: another handle on
// the same file, as the command line would have) reaches the desk's
// change feed, which the console's screens listen to.
func TestAnotherProcessesChangeReachesChanges(t *testing.T) {
	sb := startSandbox(t)
	path := filepath.Join(t.TempDir(), "kycdesk.db")
	d := newDesk(t, providers.ModeSandbox, sb.URL, openStore(t, path), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d.StartFollowing(ctx)
	defer d.Close()
	<-d.subscribed // what happens from now on reaches the feed

	other := newDesk(t, providers.ModeSandbox, sb.URL, openStore(t, path), nil)
	p, _ := other.Provider("idenfy")
	o, err := other.Launch(context.Background(), other.Draft(p, providers.Values{"clientId": {"feed-1"}}))
	if err != nil {
		t.Fatal(err)
	}
	// The feed polls; wait for the id (the test's own deadline bounds it).
	for {
		select {
		case c := <-d.Changes():
			if c.ID == o.ID {
				return
			}
		case <-time.After(time.Minute):
			t.Fatal("the other process's launch never reached the desk's feed")
		}
	}
}

// The sessions list finds an Alibaba session by the customer id as typed,
// though the store records the hash Alibaba was sent; it pages newest
// first and counts the matches.
func TestSessionsPageFindsHashedCustomerAndPages(t *testing.T) {
	sb := startSandbox(t)
	d := newDesk(t, providers.ModeSandbox, sb.URL, tempStore(t), nil)
	p, _ := d.Provider("alibaba")
	var ids []string
	for range 3 {
		o, err := d.Launch(context.Background(), d.Draft(p, providers.Values{"MerchantUserId": {"walk-in-77"}, "DocType": {"00000001"}}))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID)
	}
	ip, _ := d.Provider("idenfy")
	if _, err := d.Launch(context.Background(), d.Draft(ip, providers.Values{"clientId": {"someone-else"}})); err != nil {
		t.Fatal(err)
	}
	page, err := d.SessionsPage(context.Background(), providers.ModeSandbox, "walk-in-77", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 3 || page.More || len(page.Rows) != 2 || page.Rows[0].ID != ids[2] || page.Rows[1].ID != ids[1] {
		t.Fatalf("first page = %+v, want %s, %s of 3", page, ids[2], ids[1])
	}
	next, err := d.SessionsPage(context.Background(), providers.ModeSandbox, "walk-in-77", page.Rows[1].ID, 2)
	if err != nil || len(next.Rows) != 1 || next.Rows[0].ID != ids[0] {
		t.Fatalf("second page = %+v, %v", next, err)
	}
	if live, _ := d.SessionsPage(context.Background(), providers.ModeLive, "walk-in-77", "", 10); len(live.Rows) != 0 {
		t.Errorf("live page lists sandbox sessions: %+v", live.Rows)
	}
}
