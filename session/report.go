package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// The supervisors' figures (kycdesk report, the board) are aggregates the
// database computes from the sessions table alone: its operator, desk and
// final_at columns (migration 0003) and an index over creation time, so
// that a range of a million sessions is read from one index and nothing
// is loaded into the program.

// ReportBy is how a report groups sessions.
type ReportBy string

// The groupings of a report.
const (
	ByDesk     ReportBy = "desk"
	ByOperator ReportBy = "operator"
	ByProvider ReportBy = "provider"
	ByDay      ReportBy = "day" // the UTC day of the launch, 2006-01-02
	// ByAll is one row for the whole range (its Key is ""): the board's
	// totals, whose percentiles are not a sum of the groups'.
	ByAll ReportBy = "all"
)

// ReportBys are the groupings, in the order help lists them.
var ReportBys = []ReportBy{ByDesk, ByOperator, ByProvider, ByDay}

// ReportQuery selects the sessions launched in [From, To).
type ReportQuery struct {
	From, To time.Time
	By       ReportBy
	Mode     providers.Mode // "" all
	// Now decides which pending sessions have run past their expiry
	// (counted as expired, as the sessions list shows them); zero: now.
	Now time.Time
}

// ReportRow is one group's figures.
//
// Launched counts the sessions created in the range that reached the
// provider or may have (every state but failed, which created nothing);
// it is the sum of the six states after it. Unknown is every launch with
// no verdict to count: the provider's "unknown" status, launches of
// unknown outcome, and sessions an operator closed out (resolved: a
// pending session given up, or an unknown outcome settled by hand, whose
// verdict was never learned). A pending session past its expiry counts
// as expired.
type ReportRow struct {
	Key                                                              string
	Launched, Approved, Denied, Suspected, Expired, Unknown, Pending int64
	// Decided is how many have a final verdict with a time (approved,
	// denied, suspected, expired by the provider): the durations' count.
	Decided int64
	// Median and P90 are the nearest-rank 50th and 90th percentiles of
	// the time from launch (the intent) to the first final status, over
	// the Decided sessions; HasTimes is false when there are none.
	Median, P90 time.Duration
	HasTimes    bool
}

// ApprovalRate is approved over approved, denied and suspected (the
// verdicts on a customer who completed the flow); ok is false when there
// were none.
func (r ReportRow) ApprovalRate() (rate float64, ok bool) {
	n := r.Approved + r.Denied + r.Suspected
	if n == 0 {
		return 0, false
	}
	return float64(r.Approved) / float64(n), true
}

// Reporter is a store that computes the supervisors' figures (*DB).
type Reporter interface {
	// Report streams one row per group, in the group's order (days
	// oldest first, names in byte order), holding none of them.
	Report(ctx context.Context, q ReportQuery) iter.Seq2[ReportRow, error]
	// Launches counts the sessions launched per provider per hour since
	// from (the board's chart), hour by hour oldest first.
	Launches(ctx context.Context, from, to time.Time, mode providers.Mode) ([]HourCount, error)
	// UsualTimes is each provider's usual time from launch to a first
	// verdict: the 90th percentile over its latest results (at most
	// UsualSample each) among the sessions launched since since.
	UsualTimes(ctx context.Context, since time.Time) (map[string]time.Duration, error)
	// QuotaUse counts each desk's and operator's launches in the hour
	// and the day at at (quota.go).
	QuotaUse(ctx context.Context, at time.Time) ([]QuotaUse, error)
}

// UsualSample bounds the results UsualTimes reads per provider.
const UsualSample = 500

var _ Reporter = (*DB)(nil)

// HourCount is one provider's launches in one hour.
type HourCount struct {
	Provider string
	Hour     time.Time // the start of the hour, UTC
	N        int64
}

// finalStates are the provider's verdicts, in SQL.
const finalStates = `('approved', 'denied', 'suspected', 'expired')`

// groupExpr is the SQL of a grouping's key.
func groupExpr(by ReportBy) (string, error) {
	switch by {
	case ByDesk:
		return "s.desk", nil
	case ByOperator:
		return "s.operator", nil
	case ByProvider:
		return "s.provider", nil
	case ByDay:
		return "s.created_at / 86400000", nil
	case ByAll:
		return "''", nil
	}
	return "", fmt.Errorf("report: unknown grouping %q (desk, operator, provider or day)", by)
}

// reportSQL is one statement for both databases: counts per group, and
// the percentiles by ranking each group's durations (window functions),
// so that neither the sessions nor their durations reach the program.
// The states are kept with NOT IN, which no index answers, so that the
// range is read from sessions_report alone (with IN, SQLite would read
// every session in those states through sessions_state).
func reportSQL(key string, mode bool) string {
	m := ""
	if mode {
		m = " AND s.mode = $4"
	}
	return `WITH base AS (
    SELECT ` + key + ` AS g,
        CASE WHEN s.state = 'pending' AND s.active_until <= $3 THEN 'expired' ELSE s.state END AS state,
        s.final_at - s.created_at AS dur
    FROM sessions s
    WHERE s.created_at >= $1 AND s.created_at < $2` + m + `
        AND s.state NOT IN ('failed')
),
totals AS (
    SELECT g, count(*) AS launched,
        sum(CASE WHEN state = 'approved' THEN 1 ELSE 0 END) AS approved,
        sum(CASE WHEN state = 'denied' THEN 1 ELSE 0 END) AS denied,
        sum(CASE WHEN state = 'suspected' THEN 1 ELSE 0 END) AS suspected,
        sum(CASE WHEN state = 'expired' THEN 1 ELSE 0 END) AS expired,
        sum(CASE WHEN state IN ('unknown', 'outcome unknown', 'resolved') THEN 1 ELSE 0 END) AS unknown,
        sum(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending
    FROM base GROUP BY g
),
ranked AS (
    SELECT g, dur, row_number() OVER (PARTITION BY g ORDER BY dur) AS rn, count(*) OVER (PARTITION BY g) AS n
    FROM base WHERE dur IS NOT NULL AND state IN ` + finalStates + `
),
times AS (
    SELECT g, max(n) AS decided,
        max(CASE WHEN rn = (n + 1) / 2 THEN dur END) AS med,
        max(CASE WHEN rn = (9 * n + 9) / 10 THEN dur END) AS p90
    FROM ranked GROUP BY g
)
SELECT t.g, t.launched, t.approved, t.denied, t.suspected, t.expired, t.unknown, t.pending,
    coalesce(x.decided, 0), x.med, x.p90
FROM totals t LEFT JOIN times x ON x.g = t.g
ORDER BY t.g`
}

// Report implements Reporter.
func (d *DB) Report(ctx context.Context, q ReportQuery) iter.Seq2[ReportRow, error] {
	return func(yield func(ReportRow, error) bool) {
		key, err := groupExpr(q.By)
		if err != nil {
			yield(ReportRow{}, err)
			return
		}
		if !q.From.Before(q.To) {
			yield(ReportRow{}, errors.New("report: the range is empty (from must be before to)"))
			return
		}
		now := q.Now
		if now.IsZero() {
			now = time.Now()
		}
		args := []any{q.From.UnixMilli(), q.To.UnixMilli(), now.UnixMilli()}
		if q.Mode != "" {
			args = append(args, string(q.Mode))
		}
		rows, err := d.query(ctx, d.db, reportSQL(key, q.Mode != ""), args...)
		if err != nil {
			yield(ReportRow{}, d.failed(err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var (
				r        ReportRow
				g        any
				med, p90 sql.NullInt64
			)
			if err := rows.Scan(&g, &r.Launched, &r.Approved, &r.Denied, &r.Suspected, &r.Expired, &r.Unknown, &r.Pending,
				&r.Decided, &med, &p90); err != nil {
				yield(ReportRow{}, d.failed(err))
				return
			}
			r.Key = groupKey(q.By, g)
			if med.Valid && p90.Valid {
				r.Median, r.P90, r.HasTimes = time.Duration(med.Int64)*time.Millisecond, time.Duration(p90.Int64)*time.Millisecond, true
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(ReportRow{}, d.failed(err))
		}
	}
}

// groupKey is a group's key as the report prints it.
func groupKey(by ReportBy, g any) string {
	var s string
	switch v := g.(type) {
	case int64:
		if by == ByDay {
			return time.UnixMilli(v * 86400000).UTC().Format(time.DateOnly)
		}
		return strconv.FormatInt(v, 10)
	case []byte:
		s = string(v)
	case string:
		s = v
	case nil:
		return ""
	default:
		s = fmt.Sprint(v)
	}
	if by == ByDay {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(n * 86400000).UTC().Format(time.DateOnly)
		}
	}
	return s
}

// Launches implements Reporter.
func (d *DB) Launches(ctx context.Context, from, to time.Time, mode providers.Mode) ([]HourCount, error) {
	m := ""
	args := []any{from.UnixMilli(), to.UnixMilli()}
	if mode != "" {
		m = " AND s.mode = $3"
		args = append(args, string(mode))
	}
	rows, err := d.query(ctx, d.db, `SELECT s.created_at / 3600000 AS h, s.provider, count(*) FROM sessions s
WHERE s.created_at >= $1 AND s.created_at < $2`+m+` GROUP BY s.created_at / 3600000, s.provider ORDER BY h, s.provider`, args...)
	if err != nil {
		return nil, d.failed(err)
	}
	defer rows.Close()
	var out []HourCount
	for rows.Next() {
		var h, n int64
		var p string
		if err := rows.Scan(&h, &p, &n); err != nil {
			return nil, d.failed(err)
		}
		out = append(out, HourCount{Provider: p, Hour: time.UnixMilli(h * 3600000).UTC(), N: n})
	}
	return out, d.failed(rows.Err())
}

// UsualTimes implements Reporter: the newest results first, from the
// report index, at most UsualSample per provider (a few thousand rows
// whatever the history's size).
func (d *DB) UsualTimes(ctx context.Context, since time.Time) (map[string]time.Duration, error) {
	rows, err := d.query(ctx, d.db, `SELECT s.provider, s.final_at - s.created_at FROM sessions s
WHERE s.created_at >= $1 AND s.final_at IS NOT NULL ORDER BY s.created_at DESC LIMIT `+strconv.Itoa(8*UsualSample), since.UnixMilli())
	if err != nil {
		return nil, d.failed(err)
	}
	defer rows.Close()
	durs := map[string][]int64{}
	for rows.Next() {
		var p string
		var ms int64
		if err := rows.Scan(&p, &ms); err != nil {
			return nil, d.failed(err)
		}
		if len(durs[p]) < UsualSample {
			durs[p] = append(durs[p], ms)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, d.failed(err)
	}
	out := make(map[string]time.Duration, len(durs))
	for p, list := range durs {
		slices.Sort(list)
		out[p] = time.Duration(list[(9*len(list)+9)/10-1]) * time.Millisecond // nearest rank, as the report's
	}
	return out, nil
}
