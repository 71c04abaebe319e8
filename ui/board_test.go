package ui

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/kycdesk/kycdesk/desk"
	"github.com/kycdesk/kycdesk/internal/clock/clocktest"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// boardFixture records a morning of a small network (today is fixedNow's
// day) and a session of yesterday.
func boardFixture(t testing.TB, st session.Store) {
	t.Helper()
	day := fixedNow.Truncate(24 * time.Hour)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	alice := session.Actor{Operator: "alice", Desk: "desk-1"}
	bob := session.Actor{Operator: "bob", Desk: "desk-2"}
	for i, c := range []struct {
		who      session.Actor
		provider string
		at       time.Time
		final    providers.State
		after    time.Duration
		unknown  bool
	}{
		{alice, "idenfy", at(-15, 0), providers.StateApproved, 70 * time.Second, false},
		{session.Actor{}, "dws", at(7, 0), providers.StateApproved, 45 * time.Second, false},
		{bob, "alibaba", at(8, 0), providers.StateApproved, 2 * time.Minute, false},
		{alice, "idenfy", at(9, 0), providers.StateApproved, 90 * time.Second, false},
		{alice, "idenfy", at(10, 0), providers.StateDenied, 5 * time.Minute, false},
		{alice, "idenfy", at(11, 30), "", 0, false},
		{bob, "alibaba", at(11, 50), "", 0, true},
	} {
		ctx := session.WithActor(context.Background(), c.who)
		req := httptest.NewRequest("POST", "https://provider.example.test/", strings.NewReader(fmt.Sprint(i)))
		s, err := st.Intent(ctx, session.Intent{Provider: c.provider, Mode: providers.ModeSandbox, Customer: fmt.Sprint("board-", i),
			Request: req, At: c.at, SendingUntil: c.at.Add(time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		out := session.Outcome{At: c.at.Add(time.Second), References: map[string]string{"ref": fmt.Sprint("board-ref-", i)},
			URL: "https://provider.example.test/flow", ExpiresAt: c.at.Add(2 * time.Hour)}
		if c.unknown {
			out = session.Outcome{At: c.at.Add(time.Second), Error: &session.ErrorInfo{Kind: providers.KindUnknown, Code: "TIMEOUT", Message: "no answer"}}
		}
		if _, err := st.Outcome(ctx, s.ID, out); err != nil {
			t.Fatal(err)
		}
		if c.final != "" {
			if _, err := st.Status(ctx, s.ID, &providers.Status{State: c.final, At: c.at.Add(c.after)}, session.SourceCallback); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// boardModelFor is the console on the board over the fixture, read once.
func boardModelFor(t testing.TB, colour bool, w, h int) *Model {
	t.Helper()
	st := newTestStore(t)
	boardFixture(t, st)
	network := func() desk.Network {
		return desk.Network{Desks: []desk.DeskActivity{
			{Desk: "desk-1", Operator: "alice", Since: fixedNow.Add(-3 * time.Hour), Doing: "QR of k7f3qa01"},
			{Desk: "desk-2", Operator: "bob", Since: fixedNow.Add(-40 * time.Minute), Doing: "form: iDenfy"},
			{Desk: "desk-9", Operator: "carol", Since: fixedNow.Add(-5 * time.Minute), Doing: "board"},
		}, BadCallbacks: map[string]int64{"idenfy": 2}}
	}
	d := testDeskWith(t, providers.ModeSandbox, "http://127.0.0.1:1", st.Store, func(o *desk.Options) {
		o.Now = clocktest.New(fixedNow).Now
		o.Network = network
		o.Quotas = session.Quotas{DeskPerDay: 3, OperatorPerHour: 10}
	})
	ctx := &Context{Desk: d, Copy: func(string) error { return nil }, Open: func(string) error { return nil }}
	if colour {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI256)
		r.SetHasDarkBackground(true)
		ctx.Renderer = r
	}
	m := NewBoard(ctx)
	send(m, size(w, h))
	m.Update(m.board.load()()) // read synchronously: the goldens do not race a reading
	return m
}

func TestBoardGoldens(t *testing.T) {
	for _, colour := range []bool{false, true} {
		for _, sz := range [][2]int{{80, 24}, {120, 40}} {
			name := fmt.Sprintf("%dx%d", sz[0], sz[1])
			if colour {
				name += "_colour"
			} else {
				name += "_no_color"
			}
			t.Run(name, func(t *testing.T) {
				m := boardModelFor(t, colour, sz[0], sz[1])
				v := m.View()
				assertFits(t, v, sz[0], sz[1])
				// Session ids end in random digits: the goldens name them by place.
				for i, a := range m.board.data.Attention {
					v = strings.ReplaceAll(v, a.Row.ID, fmt.Sprintf("session%d", i+1))
				}
				plain := stripANSI(v)
				for _, want := range []string{
					"Board", "today",
					"6 launched · approval 75.0%", // 3 approved, 1 denied today (yesterday's is not)
					"median 1m30s, p90 5m00s",     // 45s, 90s, 2m, 5m
					"idenfy", "alibaba", "dws",    // the sparklines
					"desk-1", "desk-2", // the table
					"Needs attention (2)", // pending past 5m, and the unknown outcome
					"pending 30m, usually 5m",
					"outcome unknown",
					"Near their quota (1)", // desk-1's three launches today
					"desk desk-1: 3 of 3 this day (desk_per_day); refused until 00:00 UTC",
				} {
					if !strings.Contains(plain, want) {
						t.Errorf("the board lacks %q:\n%s", want, plain)
					}
				}
				if colour == strings.Contains(v, "\x1b[") {
					golden.RequireEqual(t, []byte(v))
				} else {
					t.Errorf("colour %v, escape sequences %v", colour, !colour)
				}
			})
		}
	}
}

func TestBoardFigures(t *testing.T) {
	m := boardModelFor(t, false, 120, 40)
	b := m.board.data
	if b == nil {
		t.Fatalf("no reading: %v", m.board.err)
	}
	// Today: 07:00 dws, 08:00 alibaba and 09:00 idenfy approved, 10:00
	// idenfy denied, 11:30 idenfy pending, 11:50 alibaba unknown.
	tot := b.Total
	if tot.Launched != 6 || tot.Approved != 3 || tot.Denied != 1 || tot.Unknown != 1 || tot.Pending != 1 ||
		tot.Median != 90*time.Second || tot.P90 != 5*time.Minute {
		t.Errorf("today's totals: %+v", tot)
	}
	if len(b.Attention) != 2 || b.Attention[0].Row.Provider != "idenfy" || b.Attention[1].Why != "outcome unknown" {
		t.Errorf("attention: %+v", b.Attention)
	}
	var idenfy []float64
	for _, h := range b.Hours {
		if h.Provider == "idenfy" {
			idenfy = h.Counts
		}
	}
	// The last 24 hours end with 12:00's hour: 09:00, 10:00 and 11:00
	// each had one idenfy launch (yesterday's 09:00 is 27 h ago).
	if len(idenfy) != 24 || idenfy[20] != 1 || idenfy[21] != 1 || idenfy[22] != 1 || idenfy[23] != 0 || sumF(idenfy) != 3 {
		t.Errorf("idenfy per hour: %v", idenfy)
	}
	// A session recorded elsewhere reaches the board through the change
	// feed: a change reads the board again (here at once: the last
	// reading is long past).
	st := m.ctx.Desk.Store()
	req := httptest.NewRequest("POST", "https://provider.example.test/", strings.NewReader("new"))
	if _, err := st.Intent(session.WithActor(context.Background(), session.Actor{Operator: "bob", Desk: "desk-2"}),
		session.Intent{Provider: "dws", Mode: providers.ModeSandbox, Request: req, At: fixedNow.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	m.board.last = time.Time{}
	cmd := m.board.changed()
	if cmd == nil || !m.board.loading {
		t.Fatal("a change did not read the board again")
	}
	m.Update(cmd())
	if u := m.board.data.Total.Unknown; u != 2 {
		t.Errorf("after the change, %d of unknown outcome, want 2", u)
	}
	// Another change right after waits (one reading per second at most).
	if cmd := m.board.changed(); cmd == nil || m.board.loading || !m.board.queued {
		t.Errorf("a second change read at once (loading %v, queued %v)", m.board.loading, m.board.queued)
	}
	m.board.queued = false

	// g groups by operator, w reads 7 days (yesterday's session too).
	send(m, press("g"))
	m.Update(m.board.load()())
	send(m, press("w"))
	m.Update(m.board.load()())
	if m.board.by != session.ByOperator || m.board.rng != desk.Range7d || m.board.data.Total.Launched != 8 { // 6 today, yesterday's, the one just recorded
		t.Errorf("by %s over %s: %+v", m.board.by, m.board.rng, m.board.data.Total)
	}
}

func TestBoardIsForSupervisors(t *testing.T) {
	st := newTestStore(t)
	op := testDeskWith(t, providers.ModeSandbox, "http://127.0.0.1:1", st, func(o *desk.Options) { o.Operator, o.Desk = "alice", "desk-1" })
	if _, err := op.Board(context.Background(), desk.RangeToday, session.ByDesk); err == nil || !strings.Contains(err.Error(), "supervisors") {
		t.Errorf("an operator's board: %v", err)
	}
	ctx := &Context{Desk: op, Copy: func(string) error { return nil }, Open: func(string) error { return nil }}
	m := New(ctx)
	send(m, size(100, 30), press("b"))
	if m.screen != screenHome {
		t.Errorf("b took an operator to screen %d", m.screen)
	}
	sup := testDeskWith(t, providers.ModeSandbox, "http://127.0.0.1:1", st, func(o *desk.Options) {
		o.Operator, o.Desk, o.Supervisor = "carol", "desk-9", true
	})
	m = New(&Context{Desk: sup, Copy: func(string) error { return nil }, Open: func(string) error { return nil }})
	send(m, size(100, 30), press("b"))
	if m.screen != screenBoard {
		t.Errorf("b took a supervisor to screen %d", m.screen)
	}
	if a := sup.Activity(); a.Doing != "board" || a.Operator != "carol" {
		t.Errorf("the supervisor's activity: %+v", a)
	}
}

func sumF(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// BenchmarkBoardView draws the board at 120×40 (the budget of any
// screen's View: 200 µs), against the home screen drawn the same way.
func BenchmarkBoardView(b *testing.B) {
	m := boardModelFor(b, true, 120, 40)
	b.Run("board", func(b *testing.B) {
		for b.Loop() {
			m.board.View()
		}
	})
	b.Run("home", func(b *testing.B) {
		for b.Loop() {
			m.home.View()
		}
	})
}

// While the board is shown it is read again every boardPoll with no
// change on the feed (desks come and go, ages grow); once it is left the
// ticks stop.
func TestBoardPollsWhileShown(t *testing.T) {
	m := boardModelFor(t, false, 120, 40)
	m.board.polling = true // the tick Init or showBoardMsg started
	m.board.last = time.Time{}
	gen := m.board.gen
	_, cmd := m.Update(boardPollMsg{})
	if cmd == nil || !m.board.loading || m.board.gen == gen || !m.board.polling {
		t.Fatalf("a poll on the board did not read it again and tick on (loading %v, polling %v)", m.board.loading, m.board.polling)
	}
	m.board.loading = false
	send(m, press("esc"))
	if m.screen == screenBoard {
		t.Fatal("esc did not leave the board")
	}
	gen = m.board.gen
	if _, cmd := m.Update(boardPollMsg{}); cmd != nil || m.board.gen != gen || m.board.polling {
		t.Errorf("a poll after the board was left read it or ticked on")
	}
}

// A session opened from the board comes back to the board on esc, not to
// the sessions list.
func TestBoardSessionEscReturnsToTheBoard(t *testing.T) {
	m := boardModelFor(t, false, 120, 40)
	if len(m.board.data.Attention) == 0 || m.board.data.Attention[0].Row.OutcomeUnknown {
		t.Fatalf("the fixture's first attention row is not a followable session: %+v", m.board.data.Attention)
	}
	send(m, press("enter"))
	if m.screen != screenResult {
		t.Fatalf("enter on the board opened screen %d:\n%s", m.screen, m.View())
	}
	send(m, press("esc"))
	if m.screen != screenBoard {
		t.Fatalf("esc from a session opened on the board went to screen %d", m.screen)
	}
}

// A served supervisor's home shows the board's key on its key bar (an
// operator's does not; the local console's keeps it in help, its bar
// being full at 80 columns).
func TestSupervisorHomeShowsTheBoardKey(t *testing.T) {
	st := newTestStore(t)
	for _, c := range []struct {
		supervisor bool
		want       bool
	}{{true, true}, {false, false}} {
		d := testDeskWith(t, providers.ModeSandbox, "http://127.0.0.1:1", st, func(o *desk.Options) {
			o.Operator, o.Desk, o.Supervisor = "carol", "desk-9", c.supervisor
		})
		m := New(&Context{Desk: d, Copy: func(string) error { return nil }, Open: func(string) error { return nil }})
		send(m, size(80, 24))
		assertFits(t, m.View(), 80, 24)
		if got := strings.Contains(m.View(), "b board"); got != c.want {
			t.Errorf("supervisor %v: b board on home's bar %v, want %v:\n%s", c.supervisor, got, c.want, m.View())
		}
	}
}
