package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// quotaIntent records a launch's intent by who at at under q.
func quotaIntent(st session.Store, who session.Actor, at time.Time, q session.Quotas) (*session.Session, error) {
	req := httptest.NewRequest("POST", "https://provider.example.test/launch", strings.NewReader(at.String()+who.Desk))
	return st.Intent(session.WithActor(context.Background(), who), session.Intent{Provider: "idenfy", Mode: providers.ModeSandbox,
		Request: req, At: at, Quotas: q})
}

// RunQuotas checks the launch quotas: the limits, their windows and
// messages, and two stores (two servers) on one database racing for the
// last launch of an hour: exactly one wins, every time.
func RunQuotas(t *testing.T, fresh func(t testing.TB) Target) {
	tg := fresh(t)
	st := tg.Open(t)
	base := time.Date(2026, 11, 2, 10, 15, 0, 0, time.UTC)
	alice1 := session.Actor{Operator: "alice", Desk: "desk-1"}
	t.Run("desk per hour", func(t *testing.T) {
		q := session.Quotas{DeskPerHour: 3}
		for i := range 3 {
			if _, err := quotaIntent(st, alice1, base.Add(time.Duration(i)*time.Minute), q); err != nil {
				t.Fatalf("launch %d: %v", i+1, err)
			}
		}
		_, err := quotaIntent(st, alice1, base.Add(40*time.Minute), q)
		var qe *session.QuotaError
		if !errors.As(err, &qe) || !errors.Is(err, session.ErrQuota) {
			t.Fatalf("the fourth launch of the hour: %v", err)
		}
		if qe.Limit != "desk_per_hour" || qe.Who != "desk-1" || qe.Count != 3 || qe.Max != 3 || !qe.Resets.Equal(base.Truncate(time.Hour).Add(time.Hour)) {
			t.Errorf("refusal: %+v", qe)
		}
		if want := "desk desk-1 has reached its limit of 3 launches per hour (desk_per_hour): 3 this hour (UTC); it resets at 2026-11-02 11:00 UTC"; err.Error() != want {
			t.Errorf("message %q\nwant    %q", err.Error(), want)
		}
		// Another desk, the same operator's hour is not the desk's; the next hour.
		if _, err := quotaIntent(st, session.Actor{Operator: "alice", Desk: "desk-2"}, base.Add(41*time.Minute), q); err != nil {
			t.Errorf("another desk: %v", err)
		}
		if _, err := quotaIntent(st, alice1, base.Add(45*time.Minute+time.Hour), q); err != nil {
			t.Errorf("the next hour: %v", err)
		}
		// No actor (the local console, the command line): no quota.
		if _, err := quotaIntent(st, session.Actor{}, base.Add(42*time.Minute), session.Quotas{DeskPerHour: 1, OperatorPerHour: 1}); err != nil {
			t.Errorf("no actor: %v", err)
		}
	})
	t.Run("operator per day", func(t *testing.T) {
		q := session.Quotas{OperatorPerDay: 5, DeskPerDay: 100}
		// alice has 5 today already (4 at desk-1, 1 at desk-2).
		_, err := quotaIntent(st, session.Actor{Operator: "alice", Desk: "desk-3"}, base.Add(5*time.Hour), q)
		var qe *session.QuotaError
		if !errors.As(err, &qe) || qe.Limit != "operator_per_day" || qe.Who != "alice" || qe.Count != 5 ||
			!qe.Resets.Equal(time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("alice's sixth launch of the day: %+v %v", qe, err)
		}
		if _, err := quotaIntent(st, session.Actor{Operator: "alice", Desk: "desk-3"}, base.Add(14*time.Hour), q); err != nil {
			t.Errorf("the next day: %v", err)
		}
	})
	t.Run("quota use", func(t *testing.T) {
		use, err := st.(session.Reporter).QuotaUse(context.Background(), base.Add(30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(use)
		want := "[{desk-1  3 4} {desk-2  1 1} { alice 4 5}]"
		if got != want {
			t.Errorf("quota use %s, want %s", got, want)
		}
	})
	t.Run("two servers race for the last launch", func(t *testing.T) {
		a, b := tg.Open(t), tg.Open(t) // two servers: two stores on one database
		q := session.Quotas{DeskPerHour: 4}
		hour := time.Date(2026, 11, 9, 14, 0, 0, 0, time.UTC)
		for round := range 8 {
			who := session.Actor{Operator: fmt.Sprint("racer-", round), Desk: fmt.Sprint("race-", round)}
			for i := range 3 {
				if _, err := quotaIntent(a, who, hour.Add(time.Duration(i)*time.Second), q); err != nil {
					t.Fatal(err)
				}
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, srv := range []session.Store{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = quotaIntent(srv, who, hour.Add(time.Minute), q)
				}()
			}
			close(start)
			wg.Wait()
			won, refused := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case errors.Is(err, session.ErrQuota):
					refused++
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if won != 1 || refused != 1 {
				t.Fatalf("round %d: %d won, %d refused (%v)", round, won, refused, errs)
			}
			n, err := a.Count(context.Background(), session.Query{Desk: who.Desk})
			if err != nil || n != 4 {
				t.Fatalf("round %d: desk %s has %d sessions (%v), want 4", round, who.Desk, n, err)
			}
		}
	})
}
