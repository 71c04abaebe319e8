package session

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

const sessionCols = `s.num, s.id, s.provider, s.mode, s.customer, s.state, s.created_at, s.sending_until, d.doc, s.last_seq`
const sessionFrom = `sessions s JOIN session_docs d ON d.num = s.num`

type scanner interface{ Scan(dest ...any) error }

func scanSession(r scanner) (*Session, error) {
	var (
		s       Session
		mode    string
		state   string
		created int64
		sending sql.NullInt64
		doc     string
	)
	if err := r.Scan(&s.num, &s.ID, &s.Provider, &mode, &s.Customer, &state, &created, &sending, &doc, &s.seq); err != nil {
		return nil, err
	}
	s.Mode, s.State, s.CreatedAt = providers.Mode(mode), providers.State(state), fromMS(created)
	if sending.Valid {
		s.SendingUntil = fromMS(sending.Int64)
	}
	var sd sessionDoc
	if err := json.Unmarshal([]byte(doc), &sd); err != nil {
		return nil, fmt.Errorf("session %s: %w", s.ID, err)
	}
	sd.apply(&s)
	return &s, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtQuerier runs a prepared statement as a querier (the query text is
// the statement's own).
type stmtQuerier struct{ st *sql.Stmt }

func (s stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}

func (s stmtQuerier) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return s.st.QueryRowContext(ctx, args...)
}

// preparedQuerier is the store's prepared statement of q (a fixed text),
// or the store itself when it cannot be prepared.
func (d *DB) preparedQuerier(ctx context.Context, q string) querier {
	if st, err := d.prepared(ctx, q); err == nil {
		return stmtQuerier{st}
	}
	return d.db
}

// selectByID reads one session by its id.
const selectByID = `SELECT ` + sessionCols + ` FROM ` + sessionFrom + ` WHERE s.id = $1`

// loadTx reads session id in a write transaction (prepared once).
func (d *DB) loadTx(tx *wtx, id string) (*Session, error) {
	s, err := scanSession(tx.row(selectByID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return s, err
}

func (d *DB) load(ctx context.Context, q querier, id string) (*Session, error) {
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM `+sessionFrom+` WHERE s.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return s, err
}

// query runs a query, again while the database is busy.
func (d *DB) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	var rows *sql.Rows
	err := d.retry(ctx, func() error {
		var err error
		rows, err = q.QueryContext(ctx, query, args...)
		return err
	})
	return rows, err
}

func (d *DB) sessions(ctx context.Context, q querier, query string, args ...any) ([]*Session, error) {
	rows, err := d.query(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Get implements Store.
func (d *DB) Get(ctx context.Context, q string) (*Session, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, errors.New("no session id given")
	}
	lq := strings.ToLower(q)
	// The prepared statement: each result screen reads its session
	// after every change it shows, and modernc prepares an unprepared
	// query again on every call (issue 18).
	hits, err := d.sessions(ctx, d.preparedQuerier(ctx, selectByID), selectByID, lq)
	if err != nil {
		return nil, d.failed(err)
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	const show = 5
	byPrefix := `FROM ` + sessionFrom + ` WHERE s.id >= $1 AND s.id < $2`
	hits, err = d.sessions(ctx, d.db, `SELECT `+sessionCols+` `+byPrefix+` ORDER BY s.num DESC LIMIT `+strconv.Itoa(show+1), lq, lq+"~")
	if err != nil {
		return nil, d.failed(err)
	}
	total := len(hits)
	if total > show {
		err = d.db.QueryRowContext(ctx, `SELECT count(*) `+byPrefix, lq, lq+"~").Scan(&total)
	}
	if err == nil && len(hits) == 0 {
		hits, err = d.sessions(ctx, d.db, `SELECT `+sessionCols+` FROM refs r JOIN sessions s ON s.num = r.num
JOIN session_docs d ON d.num = s.num WHERE r.value = $1 ORDER BY s.num DESC LIMIT `+strconv.Itoa(show+1), q)
		total = len(hits)
	}
	if err != nil {
		return nil, d.failed(err)
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("%w: %q matches no session id or reference in %s", ErrNotFound, q, d.location)
	case 1:
		return hits[0], nil
	}
	ids := make([]string, 0, show)
	for _, s := range hits[:min(show, len(hits))] {
		ids = append(ids, s.ID)
	}
	more := ""
	if total > show {
		more = fmt.Sprintf(" and %d more", total-show)
	}
	return nil, fmt.Errorf("%w: %q matches %d sessions (%s%s); give more of the id", ErrAmbiguous, q, total,
		strings.Join(ids, ", "), more)
}

// ByReference implements Store.
func (d *DB) ByReference(ctx context.Context, provider string, mode providers.Mode, ref string) (*Session, error) {
	if ref == "" {
		return nil, fmt.Errorf("%w: no reference", ErrNotFound)
	}
	s, err := scanSession(d.queryRow(ctx, `SELECT `+sessionCols+` FROM refs r JOIN sessions s ON s.num = r.num
JOIN session_docs d ON d.num = s.num WHERE r.value = $1 AND s.provider = $2 AND s.mode = $3 ORDER BY s.num DESC LIMIT 1`,
		ref, provider, string(mode)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s reference %q", ErrNotFound, provider, ref)
	}
	return s, d.failed(err)
}

// History implements Store.
func (d *DB) History(ctx context.Context, id string) ([]Event, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	rows, err := d.query(ctx, d.db, `SELECT seq, session_id, kind, at, operator, desk, data FROM events WHERE session_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, d.failed(err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			ev   Event
			at   int64
			data string
		)
		if err := rows.Scan(&ev.Seq, &ev.Session, &ev.Kind, &at, &ev.Actor.Operator, &ev.Actor.Desk, &data); err != nil {
			return nil, d.failed(err)
		}
		ev.At = fromMS(at)
		var e eventDoc
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return nil, d.failed(fmt.Errorf("event %d: %w", ev.Seq, err))
		}
		ev.Attempt, ev.Detail, ev.Action, ev.Confirmed = e.Attempt, e.Detail, e.Action, e.Confirmed
		switch ev.Kind {
		case EventOutcome:
			switch {
			case e.Error == nil:
				ev.State = providers.StatePending
			case e.Error.Kind == providers.KindUnknown || e.Error.Kind == "":
				ev.State = StateOutcomeUnknown
			default:
				ev.State = StateFailed
			}
			ev.Error = e.Error.info()
			if ev.Error != nil {
				ev.Error.At = ev.At
			}
			ev.Source = SourceLaunch
		case EventStatus:
			ev.State, ev.Source = e.State, e.Source
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, d.failed(err)
	}
	if len(out) == 0 && id != "" { // "": the entries about no session, perhaps none yet
		if _, err := d.load(ctx, d.db, id); err != nil {
			return nil, d.failed(err)
		}
	}
	return out, nil
}

// PendingFor implements Store.
func (d *DB) PendingFor(ctx context.Context, provider, customer string, mode providers.Mode, now time.Time) ([]*Session, error) {
	out, err := d.pendingFor(ctx, d.db, provider, strings.TrimSpace(customer), mode, now)
	return out, d.failed(err)
}

func (d *DB) pendingFor(ctx context.Context, q querier, provider, customer string, mode providers.Mode, now time.Time) ([]*Session, error) {
	if customer == "" {
		return nil, nil
	}
	return d.sessions(ctx, q, `SELECT `+sessionCols+` FROM `+sessionFrom+`
WHERE s.customer = $1 AND s.provider = $2 AND s.mode = $3 AND s.active_until > $4 ORDER BY s.num DESC`,
		customer, provider, string(mode), now.UnixMilli())
}

// Counts implements Store. Both counts read only the sessions still
// active (an unknown outcome is active until resolved), in one index.
func (d *DB) Counts(ctx context.Context, mode providers.Mode, now time.Time) (Counts, error) {
	var c Counts
	m := ""
	args := []any{now.UnixMilli()}
	if mode != "" {
		m = " AND mode = $2"
		args = append(args, string(mode))
	}
	err := d.retry(ctx, func() error {
		return d.db.QueryRowContext(ctx, `SELECT count(*),
count(CASE WHEN state = 'outcome unknown' AND (sending_until IS NULL OR sending_until <= $1) THEN 1 END)
FROM sessions WHERE active_until > $1`+m, args...).Scan(&c.Pending, &c.Unknown)
	})
	return c, d.failed(err)
}
