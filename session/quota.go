package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Quotas are launch limits per desk and per operator ([serve.quotas]);
// 0 is no limit. The windows are the UTC clock hour and the UTC day the
// launch falls in: a limit reached resets at the next hour or midnight
// (UTC). Every intent counts, whatever its outcome.
type Quotas struct {
	DeskPerHour, DeskPerDay         int
	OperatorPerHour, OperatorPerDay int
}

// Any reports whether a limit is set.
func (q Quotas) Any() bool {
	return q.DeskPerHour > 0 || q.DeskPerDay > 0 || q.OperatorPerHour > 0 || q.OperatorPerDay > 0
}

// ErrQuota is wrapped by Intent's refusal of a launch beyond a quota.
var ErrQuota = errors.New("launch quota reached")

// QuotaError is Intent's refusal by a quota: nothing was written or sent.
type QuotaError struct {
	Limit  string // the setting: desk_per_hour, desk_per_day, operator_per_hour, operator_per_day
	Who    string // the desk or the operator
	Max    int    // the limit
	Count  int    // the launches counted in the window
	Resets time.Time
}

func (e *QuotaError) Error() string {
	kind, window := "desk", "hour"
	switch e.Limit {
	case "desk_per_day":
		window = "day"
	case "operator_per_hour":
		kind = "operator"
	case "operator_per_day":
		kind, window = "operator", "day"
	}
	return fmt.Sprintf("%s %s has reached its limit of %d launches per %s (%s): %d this %s (UTC); it resets at %s UTC",
		kind, e.Who, e.Max, window, e.Limit, e.Count, window, e.Resets.UTC().Format("2006-01-02 15:04"))
}

// Is makes a quota refusal a refusal of the store (not a database
// failure) and ErrQuota.
func (e *QuotaError) Is(target error) bool { return target == ErrQuota || target == errRefused }

// QuotaUse is how many launches a desk or an operator has in the current
// windows, for the board's "near their limit".
type QuotaUse struct {
	Desk, Operator string // one of them
	Hour, Day      int
}

// QuotaResets is when the window of limit (desk_per_hour, …_day) that at
// falls in ends: when a refusal by it lifts.
func QuotaResets(limit string, at time.Time) time.Time {
	_, hourEnd, _, dayEnd := quotaWindows(at)
	if strings.HasSuffix(limit, "_day") {
		return dayEnd
	}
	return hourEnd
}

// windows are the hour and the day at starts in, and when they end.
func quotaWindows(at time.Time) (hour, hourEnd, day, dayEnd time.Time) {
	at = at.UTC()
	hour = at.Truncate(time.Hour)
	day = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
	return hour, hour.Add(time.Hour), day, day.AddDate(0, 0, 1)
}

// checkQuotas refuses the actor's launch at at beyond q, inside Intent's
// transaction. On PostgreSQL a transaction lock per desk and per operator
// orders the launches of servers sharing the store: the second waits for
// the first to commit, then counts its launch too.
func (d *DB) checkQuotas(ctx context.Context, tx *wtx, q Quotas, actor Actor, at time.Time) error {
	hour, hourEnd, day, dayEnd := quotaWindows(at)
	for _, c := range []struct {
		col, who        string
		perHour, perDay int
		hourName, day   string
	}{
		{"desk", actor.Desk, q.DeskPerHour, q.DeskPerDay, "desk_per_hour", "desk_per_day"},
		{"operator", actor.Operator, q.OperatorPerHour, q.OperatorPerDay, "operator_per_hour", "operator_per_day"},
	} {
		if c.who == "" || (c.perHour <= 0 && c.perDay <= 0) {
			continue
		}
		if err := d.lock(ctx, tx, "quota\x00"+c.col+"\x00"+c.who); err != nil {
			return err
		}
		var nHour, nDay int
		if err := tx.QueryRowContext(tx.ctx, `SELECT count(CASE WHEN created_at >= $2 AND created_at < $3 THEN 1 END), count(*) FROM sessions
WHERE `+c.col+` = $1 AND created_at >= $4 AND created_at < $5`, c.who, hour.UnixMilli(), hourEnd.UnixMilli(), day.UnixMilli(),
			dayEnd.UnixMilli()).Scan(&nHour, &nDay); err != nil {
			return err
		}
		if c.perHour > 0 && nHour >= c.perHour {
			return &QuotaError{Limit: c.hourName, Who: c.who, Max: c.perHour, Count: nHour, Resets: hourEnd}
		}
		if c.perDay > 0 && nDay >= c.perDay {
			return &QuotaError{Limit: c.day, Who: c.who, Max: c.perDay, Count: nDay, Resets: dayEnd}
		}
	}
	return nil
}

// QuotaUse counts the launches of every desk and every operator in the
// hour and the day at at (UTC), for the board, from the quotas' indexes.
func (d *DB) QuotaUse(ctx context.Context, at time.Time) ([]QuotaUse, error) {
	hour, hourEnd, day, dayEnd := quotaWindows(at)
	var out []QuotaUse
	for _, col := range []string{"desk", "operator"} {
		rows, err := d.query(ctx, d.db, `SELECT `+col+`, count(CASE WHEN created_at >= $1 AND created_at < $2 THEN 1 END), count(*) FROM sessions
WHERE created_at >= $3 AND created_at < $4 AND `+col+` <> '' GROUP BY `+col+` ORDER BY `+col, hour.UnixMilli(), hourEnd.UnixMilli(),
			day.UnixMilli(), dayEnd.UnixMilli())
		if err != nil {
			return nil, d.failed(err)
		}
		for rows.Next() {
			var u QuotaUse
			var who string
			if err := rows.Scan(&who, &u.Hour, &u.Day); err != nil {
				rows.Close()
				return nil, d.failed(err)
			}
			if col == "desk" {
				u.Desk = who
			} else {
				u.Operator = who
			}
			out = append(out, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, d.failed(err)
		}
	}
	return out, nil
}
