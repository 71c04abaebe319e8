package storetest

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// ReportBase is the start of the report fixture's two days (UTC): every
// session of ReportFixture is launched in [ReportBase, ReportBase+48h)
// but two, one just before and one at the end.
var ReportBase = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)

// ReportNow is the "now" the fixture's figures hold at: one pending
// session has run past its expiry by then, the other has not.
var ReportNow = ReportBase.Add(49 * time.Hour)

// ReportFixture writes sessions with known desks, operators, providers,
// states and times into st through the Store's own writes, for the
// report's figures (ReportWant). The durations are from each intent to
// its first final status.
func ReportFixture(t testing.TB, st session.Store) {
	t.Helper()
	alice := session.Actor{Operator: "alice", Desk: "desk-1"}
	carol := session.Actor{Operator: "carol", Desk: "desk-1"}
	bob := session.Actor{Operator: "bob", Desk: "desk-2"}
	local := session.Actor{}
	day1, day2 := ReportBase, ReportBase.Add(24*time.Hour)
	h := func(day time.Time, n int) time.Time { return day.Add(time.Duration(n) * time.Hour) }
	type end struct {
		state providers.State // a status (after a launch), or "" for none
		after time.Duration   // from the intent
		fail  providers.ErrorKind
		// closeOut: still pending, then closed out by its operator
		// (resolved), as desk.CloseOut records it.
		closeOut bool
	}
	final := func(st providers.State, sec int) end { return end{state: st, after: time.Duration(sec) * time.Second} }
	pending := end{}
	list := []struct {
		who      session.Actor
		provider string
		at       time.Time
		expires  time.Time
		end      end
	}{
		{alice, "idenfy", h(day1, 0), time.Time{}, final(providers.StateApproved, 60)},
		{alice, "idenfy", h(day1, 1), time.Time{}, final(providers.StateApproved, 120)},
		{alice, "alibaba", h(day1, 2), time.Time{}, final(providers.StateDenied, 300)},
		{alice, "dws", h(day2, 0), ReportBase.Add(10 * 24 * time.Hour), pending},
		{bob, "idenfy", h(day1, 3), time.Time{}, final(providers.StateSuspected, 30)},
		{bob, "alibaba", h(day2, 1), time.Time{}, final(providers.StateExpired, 1800)},
		{bob, "alibaba", h(day2, 2), time.Time{}, end{fail: providers.KindUnknown}},
		{bob, "dws", h(day2, 3), time.Time{}, end{fail: providers.KindRejected}},
		{bob, "idenfy", h(day2, 4), h(day2, 4).Add(30 * time.Minute), pending}, // expired by ReportNow
		{bob, "idenfy", h(day2, 5), time.Time{}, final(providers.StateApproved, 90)},
		{carol, "dws", h(day1, 5), time.Time{}, final(providers.StateApproved, 45)},
		{local, "idenfy", h(day1, 6), time.Time{}, final(providers.StateUnknown, 20)},
		{carol, "idenfy", h(day2, 6), ReportBase.Add(10 * 24 * time.Hour), end{closeOut: true}}, // a launch with no verdict
		// Outside the range.
		{alice, "idenfy", ReportBase.Add(-time.Hour), time.Time{}, final(providers.StateApproved, 10)},
		{alice, "idenfy", ReportBase.Add(48 * time.Hour), time.Time{}, final(providers.StateApproved, 10)},
	}
	for i, c := range list {
		ctx := session.WithActor(context.Background(), c.who)
		req := httptest.NewRequest("POST", "https://provider.example.test/launch", strings.NewReader(`{"n":`+string(rune('a'+i))+`}`))
		s, err := st.Intent(ctx, session.Intent{Provider: c.provider, Mode: providers.ModeSandbox, Endpoint: "https://provider.example.test",
			Customer: "report-customer-" + string(rune('a'+i)), Request: req, At: c.at, SendingUntil: c.at.Add(time.Minute)})
		if err != nil {
			t.Fatalf("fixture %d: intent: %v", i, err)
		}
		out := session.Outcome{At: c.at.Add(time.Second), References: map[string]string{"ref": "report-ref-" + s.ID}, ExpiresAt: c.expires}
		if c.end.fail != "" {
			out = session.Outcome{At: c.at.Add(time.Second), Error: &session.ErrorInfo{Kind: c.end.fail, Code: "X", Message: "fixture"}}
		}
		if _, err := st.Outcome(ctx, s.ID, out); err != nil {
			t.Fatalf("fixture %d: outcome: %v", i, err)
		}
		if c.end.state != "" {
			if _, err := reportStatus(ctx, st, s.ID, &providers.Status{State: c.end.state, Detail: "fixture", At: c.at.Add(c.end.after)}); err != nil {
				t.Fatalf("fixture %d: status: %v", i, err)
			}
		}
		if c.end.closeOut {
			if _, err := st.Status(ctx, s.ID, &providers.Status{State: session.StateResolved, Detail: "closed out by the operator: customer left",
				At: c.at.Add(5 * time.Minute)}, session.SourceOperator); err != nil {
				t.Fatalf("fixture %d: close out: %v", i, err)
			}
		}
	}
}

// reportStatus records a provider's status the way a signed callback does.
func reportStatus(ctx context.Context, st session.Store, id string, s *providers.Status) (*session.Session, error) {
	return st.Status(ctx, id, s, session.SourceCallback)
}

// ReportWant is the fixture's figures in [ReportBase, ReportBase+48h) at
// ReportNow, by grouping; -1 seconds: no durations.
func ReportWant(by session.ReportBy) []ReportFigures {
	switch by {
	case session.ByDesk:
		return []ReportFigures{
			{"", 1, 0, 0, 0, 0, 1, 0, -1, -1, -1},
			{"desk-1", 6, 3, 1, 0, 0, 1, 1, 0.75, 60, 300},
			{"desk-2", 5, 1, 0, 1, 2, 1, 0, 0.5, 90, 1800},
		}
	case session.ByOperator:
		return []ReportFigures{
			{"", 1, 0, 0, 0, 0, 1, 0, -1, -1, -1},
			{"alice", 4, 2, 1, 0, 0, 0, 1, 2.0 / 3, 120, 300},
			{"bob", 5, 1, 0, 1, 2, 1, 0, 0.5, 90, 1800},
			{"carol", 2, 1, 0, 0, 0, 1, 0, 1, 45, 45},
		}
	case session.ByProvider:
		return []ReportFigures{
			{"alibaba", 3, 0, 1, 0, 1, 1, 0, 0, 300, 1800},
			{"dws", 2, 1, 0, 0, 0, 0, 1, 1, 45, 45},
			{"idenfy", 7, 3, 0, 1, 1, 2, 0, 0.75, 60, 120},
		}
	case session.ByDay:
		return []ReportFigures{
			{"2025-03-03", 6, 3, 1, 1, 0, 1, 0, 0.6, 60, 300},
			{"2025-03-04", 6, 1, 0, 0, 2, 2, 1, 1, 90, 1800},
		}
	}
	return nil
}

// ReportFigures is one expected row; Rate, Median and P90 are -1 when
// there are none.
type ReportFigures struct {
	Key                                                              string
	Launched, Approved, Denied, Suspected, Expired, Unknown, Pending int64
	Rate                                                             float64
	Median, P90                                                      float64 // seconds
}

// Figures is r as a ReportFigures.
func Figures(r session.ReportRow) ReportFigures {
	f := ReportFigures{Key: r.Key, Launched: r.Launched, Approved: r.Approved, Denied: r.Denied, Suspected: r.Suspected,
		Expired: r.Expired, Unknown: r.Unknown, Pending: r.Pending, Rate: -1, Median: -1, P90: -1}
	if rate, ok := r.ApprovalRate(); ok {
		f.Rate = float64(int(rate*10000+0.5)) / 10000
	}
	if r.HasTimes {
		f.Median, f.P90 = r.Median.Seconds(), r.P90.Seconds()
	}
	return f
}

// RunReport checks the store's report figures against the fixture, on a
// store written with migration 0003's columns and on one written before
// them (the migration fills them in from the events).
func RunReport(t *testing.T, fresh func(t testing.TB) Target) {
	t.Run("written since", func(t *testing.T) {
		st := fresh(t).Open(t)
		ReportFixture(t, st)
		checkReport(t, st)
	})
	t.Run("written before the migration", func(t *testing.T) {
		tg := fresh(t)
		st := tg.Open(t)
		ReportFixture(t, st)
		kind, _, _ := session.StoreKind(tg.URL)
		undo := []string{
			"DROP TRIGGER sessions_report_insert", "DROP TRIGGER sessions_report_final",
			"DROP INDEX sessions_desk_num", "DROP INDEX sessions_operator_num", // 0005
			"DROP INDEX sessions_report", "DROP INDEX sessions_desk", "DROP INDEX sessions_operator",
			"ALTER TABLE sessions DROP COLUMN operator", "ALTER TABLE sessions DROP COLUMN desk", "ALTER TABLE sessions DROP COLUMN final_at",
			"DROP TABLE desk_state", "DELETE FROM schema_migrations WHERE version >= 3",
		}
		if kind == "postgres" {
			undo[0], undo[1] = "DROP TRIGGER sessions_report ON sessions", "DROP FUNCTION sessions_report()"
		}
		db := st.(rawDB).SQL()
		for _, q := range undo {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		st.Close()
		checkReport(t, tg.Open(t))
	})
}

func checkReport(t *testing.T, st session.Store) {
	rep, ok := st.(session.Reporter)
	if !ok {
		t.Fatalf("%T computes no reports", st)
	}
	for _, by := range session.ReportBys {
		t.Run(string(by), func(t *testing.T) {
			var got []ReportFigures
			for r, err := range rep.Report(context.Background(), session.ReportQuery{From: ReportBase, To: ReportBase.Add(48 * time.Hour),
				By: by, Now: ReportNow}) {
				if err != nil {
					t.Fatal(err)
				}
				if r.Launched != r.Approved+r.Denied+r.Suspected+r.Expired+r.Unknown+r.Pending {
					t.Errorf("%s: launched %d is not the sum of its states", r.Key, r.Launched)
				}
				got = append(got, Figures(r))
			}
			want := ReportWant(by)
			for i := range want {
				want[i].Rate = float64(int(want[i].Rate*10000+0.5)) / 10000
				if want[i].Rate < 0 {
					want[i].Rate = -1
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("by %s:\n got %+v\nwant %+v", by, got, want)
			}
		})
	}
	t.Run("mode", func(t *testing.T) {
		for r, err := range rep.Report(context.Background(), session.ReportQuery{From: ReportBase, To: ReportBase.Add(48 * time.Hour),
			By: session.ByDesk, Mode: providers.ModeLive, Now: ReportNow}) {
			t.Errorf("live sessions: %+v %v", r, err)
		}
	})
	t.Run("range", func(t *testing.T) {
		// One hour: the first session only.
		var got []ReportFigures
		for r, err := range rep.Report(context.Background(), session.ReportQuery{From: ReportBase, To: ReportBase.Add(time.Hour),
			By: session.ByOperator, Now: ReportNow}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, Figures(r))
		}
		want := []ReportFigures{{"alice", 1, 1, 0, 0, 0, 0, 0, 1, 60, 60}}
		if !slices.Equal(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		for _, err := range rep.Report(context.Background(), session.ReportQuery{From: ReportBase, To: ReportBase, By: session.ByDesk}) {
			if err == nil || !strings.Contains(err.Error(), "empty") {
				t.Errorf("an empty range: %v", err)
			}
		}
		for _, err := range rep.Report(context.Background(), session.ReportQuery{From: ReportBase, To: ReportNow, By: "colour"}) {
			if err == nil || !strings.Contains(err.Error(), "colour") {
				t.Errorf("an unknown grouping: %v", err)
			}
		}
	})
	t.Run("usual times", func(t *testing.T) {
		got, err := rep.UsualTimes(context.Background(), ReportBase.Add(-2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		// idenfy: 10, 10, 30, 60, 90, 120 s; alibaba: 300, 1800 s; dws: 45 s.
		want := map[string]time.Duration{"idenfy": 120 * time.Second, "alibaba": 1800 * time.Second, "dws": 45 * time.Second}
		if len(got) != len(want) {
			t.Errorf("got %v, want %v", got, want)
		}
		for p, d := range want {
			if got[p] != d {
				t.Errorf("%s: %v, want %v", p, got[p], d)
			}
		}
	})
	t.Run("launches per hour", func(t *testing.T) {
		got, err := rep.Launches(context.Background(), ReportBase.Add(24*time.Hour), ReportBase.Add(48*time.Hour), "")
		if err != nil {
			t.Fatal(err)
		}
		day2 := ReportBase.Add(24 * time.Hour)
		want := []session.HourCount{
			{Provider: "dws", Hour: day2, N: 1},
			{Provider: "alibaba", Hour: day2.Add(time.Hour), N: 1},
			{Provider: "alibaba", Hour: day2.Add(2 * time.Hour), N: 1},
			{Provider: "dws", Hour: day2.Add(3 * time.Hour), N: 1},
			{Provider: "idenfy", Hour: day2.Add(4 * time.Hour), N: 1},
			{Provider: "idenfy", Hour: day2.Add(5 * time.Hour), N: 1},
			{Provider: "idenfy", Hour: day2.Add(6 * time.Hour), N: 1},
		}
		if !slices.Equal(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
}
