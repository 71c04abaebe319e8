package desk

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session"
)

// The supervisors' board reads aggregates from the store (session's
// Reporter: SQL over an index, never the sessions themselves), the
// sessions that need attention (a few short lists), and what the server
// knows of its connected desks (Options.Network).

// DeskActivity is one connected desk and what it is doing.
type DeskActivity struct {
	Desk, Operator string
	Since          time.Time // connected at
	Doing          string    // "home", "form: iDenfy", "QR of k7f3qa01", "code entry for …"
}

// Network is what a server knows of the desks connected to it now.
type Network struct {
	Desks []DeskActivity
	// BadCallbacks counts, per provider, the callbacks refused since the
	// server started because their signature or token did not match.
	BadCallbacks map[string]int64
}

// activity is what a desk's screen says it is doing.
type activity struct {
	mu    sync.Mutex
	since time.Time
	doing string
}

// SetActivity records what the desk's screen shows ("home", "QR of X").
func (d *Desk) SetActivity(doing string) {
	d.act.mu.Lock()
	defer d.act.mu.Unlock()
	if d.act.since.IsZero() {
		d.act.since = d.Now()
	}
	d.act.doing = doing
}

// Activity is the desk as the board lists it.
func (d *Desk) Activity() DeskActivity {
	d.act.mu.Lock()
	defer d.act.mu.Unlock()
	return DeskActivity{Desk: d.o.Desk, Operator: d.o.Operator, Since: d.act.since, Doing: d.act.doing}
}

// BoardRange is the range of the board's figures.
type BoardRange string

// The board's ranges.
const (
	RangeToday BoardRange = "today"
	Range7d    BoardRange = "7 days"
	Range30d   BoardRange = "30 days"
)

// BoardRanges in the order the board cycles through them.
var BoardRanges = []BoardRange{RangeToday, Range7d, Range30d}

// bounds is the range's [from, to) at now: today is since local midnight.
func (r BoardRange) bounds(now time.Time) (time.Time, time.Time) {
	switch r {
	case Range7d:
		return now.Add(-7 * 24 * time.Hour), now
	case Range30d:
		return now.Add(-30 * 24 * time.Hour), now
	}
	y, m, dd := now.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, now.Location()), now
}

// Attention is a session that needs a supervisor's look, and why.
type Attention struct {
	Row Row
	Why string
}

// Board is one reading of the board.
type Board struct {
	Range    BoardRange
	By       session.ReportBy
	From, To time.Time
	Rows     []session.ReportRow // per desk, operator or provider
	Total    session.ReportRow   // the range's result mix
	// Hours are launches per provider per hour over the last 24 hours,
	// oldest first (24 values each), providers in registry order.
	Hours     []ProviderHours
	Attention []Attention // oldest first
	// AttentionMore: a list was cut at attentionLimit (the newest kept).
	AttentionMore bool
	// Near are the desks and operators close to a quota (none without
	// quotas).
	Near []NearLimit
	// Network is nil when the board runs outside a server (kycdesk board).
	Network *Network
}

// ProviderHours is one provider's launches per hour.
type ProviderHours struct {
	Provider string
	Counts   []float64
}

// ErrNoBoard: the store computes no aggregates.
var ErrNoBoard = errors.New("this store computes no reports")

// attentionLimit bounds each attention list.
const attentionLimit = 100

// usualFallback is how long a session may stay pending before it needs a
// look when its provider has no results to measure a usual time by.
const usualFallback = 30 * time.Minute

// Board reads the board for rng, grouped by by: only a supervisor's desk
// (or the local console, which supervises its own store) may.
func (d *Desk) Board(ctx context.Context, rng BoardRange, by session.ReportBy) (*Board, error) {
	if !d.Supervisor() {
		return nil, errors.New("the board is for supervisors ([serve.roles] supervisors in config.toml)")
	}
	rep, ok := d.o.Store.(session.Reporter)
	if !ok {
		return nil, ErrNoBoard
	}
	ctx, cancel := context.WithTimeout(ctx, storeWait)
	defer cancel()
	now := d.Now()
	b := &Board{Range: rng, By: by}
	b.From, b.To = rng.bounds(now)
	for r, err := range rep.Report(ctx, session.ReportQuery{From: b.From, To: b.To, By: by, Now: now}) {
		if err != nil {
			return nil, err
		}
		b.Rows = append(b.Rows, r)
	}
	for r, err := range rep.Report(ctx, session.ReportQuery{From: b.From, To: b.To, By: session.ByAll, Now: now}) {
		if err != nil {
			return nil, err
		}
		b.Total = r
	}
	if err := d.boardHours(ctx, rep, now, b); err != nil {
		return nil, err
	}
	if err := d.boardAttention(ctx, rep, now, b); err != nil {
		return nil, err
	}
	if d.o.Quotas.Any() {
		use, err := rep.QuotaUse(ctx, now)
		if err != nil {
			return nil, err
		}
		b.Near = nearLimits(d.o.Quotas, use, now)
	}
	if d.o.Network != nil {
		n := d.o.Network()
		b.Network = &n
	}
	return b, nil
}

// boardHours fills the launches per hour of the last 24 hours.
func (d *Desk) boardHours(ctx context.Context, rep session.Reporter, now time.Time, b *Board) error {
	end := now.Truncate(time.Hour).Add(time.Hour)
	start := end.Add(-24 * time.Hour)
	counts, err := rep.Launches(ctx, start, end, "")
	if err != nil {
		return err
	}
	by := map[string][]float64{}
	for _, c := range counts {
		i := int(c.Hour.Sub(start) / time.Hour)
		if i < 0 || i >= 24 {
			continue
		}
		if by[c.Provider] == nil {
			by[c.Provider] = make([]float64, 24)
		}
		by[c.Provider][i] += float64(c.N)
	}
	for _, id := range d.o.Registry.IDs() {
		h := by[id]
		if h == nil {
			h = make([]float64, 24)
		}
		b.Hours = append(b.Hours, ProviderHours{Provider: id, Counts: h})
		delete(by, id)
	}
	for _, id := range sortedKeys(by) { // providers no longer registered
		b.Hours = append(b.Hours, ProviderHours{Provider: id, Counts: by[id]})
	}
	return nil
}

// boardAttention lists the sessions of unknown outcome and those pending
// past their provider's usual time (the 90th percentile of its latest
// results of the last 7 days), oldest first.
func (d *Desk) boardAttention(ctx context.Context, rep session.Reporter, now time.Time, b *Board) error {
	usual, err := rep.UsualTimes(ctx, now.Add(-7*24*time.Hour))
	if err != nil {
		return err
	}
	unknown, err := d.o.Store.List(ctx, session.Query{State: session.StateOutcomeUnknown, Limit: attentionLimit})
	if err != nil {
		return err
	}
	pending, err := d.o.Store.List(ctx, session.Query{State: providers.StatePending, Limit: attentionLimit})
	if err != nil {
		return err
	}
	b.AttentionMore = len(unknown) == attentionLimit || len(pending) == attentionLimit
	for _, s := range unknown {
		if s.Sending(now) {
			continue
		}
		b.Attention = append(b.Attention, Attention{Row: d.rowOf(s), Why: "outcome unknown"})
	}
	for _, s := range pending {
		if s.Expired(now) {
			continue
		}
		u, ok := usual[s.Provider]
		if !ok {
			u = usualFallback
		}
		if age := now.Sub(s.CreatedAt); age > u {
			why := "pending " + roundAge(age) + ", usually " + roundAge(u)
			if !ok {
				why = "pending " + roundAge(age) + " (no results to compare)"
			}
			b.Attention = append(b.Attention, Attention{Row: d.rowOf(s), Why: why})
		}
	}
	slices.SortFunc(b.Attention, func(x, y Attention) int { return x.Row.CreatedAt.Compare(y.Row.CreatedAt) })
	return nil
}

// roundAge is 45s, 12m, 3h or 2d.
func roundAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ShortDuration is how the board and the report write a time to a
// result: 45s, 2m05s, 1h30m or 3d04h.
func ShortDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}
