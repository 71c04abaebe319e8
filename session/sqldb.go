package session

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session/migrations"
)

// DBConfig is what a backend (session/sqlite, session/postgres) gives
// NewDB.
type DBConfig struct {
	DB       *sql.DB
	Dialect  migrations.Dialect
	Location string // the file, or the URL without its password
	Key      []byte // the fingerprint key (StoreKey)
	// StrictKey refuses a key other than the one the store was first
	// written with (desks sharing a store must share the key); without
	// it, a new key is recorded with a warning (a desk whose key file was
	// lost: its old unknown sessions can no longer be retried).
	StrictKey bool
	// Retryable reports a failure worth trying again (the database was
	// busy, a serialization failure); the write is retried with short
	// random pauses for up to LockWait.
	Retryable func(error) bool
	// Watch feeds the change feed (PostgreSQL's LISTEN) until ctx ends,
	// calling ready once it hears every change; nil polls the events
	// table every PollEvery.
	Watch     func(ctx context.Context, channel string, emit func(Change), ready func())
	PollEvery time.Duration // 0: 250 ms
	// OnClose runs after the database is closed.
	OnClose func() error
}

// LockWait bounds how long a write waits for other writers.
const LockWait = 30 * time.Second

// DB is the Store on a database/sql database, for both dialects.
type DB struct {
	db        *sql.DB
	dialect   migrations.Dialect
	location  string
	key       []byte
	retryable func(error) bool
	channel   string
	feed      *feed
	onClose   func() error

	mu       sync.Mutex
	warnings []string
	closed   bool
}

var _ Store = (*DB)(nil)

// NewDB applies the migrations the database lacks, checks the key and
// returns the store. It closes c.DB when it fails.
func NewDB(ctx context.Context, c DBConfig) (_ *DB, err error) {
	d := &DB{db: c.DB, dialect: c.Dialect, location: c.Location, key: c.Key, retryable: c.Retryable,
		onClose: c.OnClose}
	defer func() {
		if err != nil {
			c.DB.Close()
			if c.OnClose != nil {
				c.OnClose()
			}
		}
	}()
	if d.retryable == nil {
		d.retryable = func(error) bool { return false }
	}
	if len(d.key) < keyBytes {
		return nil, fmt.Errorf("store %s: no fingerprint key", d.location)
	}
	if err := d.migrate(ctx, c.StrictKey); err != nil {
		return nil, fmt.Errorf("store %s: %w", d.location, err)
	}
	if c.Dialect.Channel != "" {
		if err := d.db.QueryRowContext(ctx, c.Dialect.Channel).Scan(&d.channel); err != nil {
			return nil, fmt.Errorf("store %s: %w", d.location, err)
		}
	}
	watch := c.Watch
	if watch == nil {
		every := c.PollEvery
		if every <= 0 {
			every = 250 * time.Millisecond
		}
		watch = func(ctx context.Context, _ string, emit func(Change), ready func()) { d.poll(ctx, every, emit, ready) }
	}
	d.feed = newFeed(func(ctx context.Context, emit func(Change), ready func()) { watch(ctx, d.channel, emit, ready) })
	return d, nil
}

// SQL is the database, for the backends' own checks and for tests.
func (d *DB) SQL() *sql.DB { return d.db }

// Location implements Store.
func (d *DB) Location() string { return d.location }

// Fingerprint implements Store.
func (d *DB) Fingerprint(req *http.Request) string { return fingerprint(d.key, req) }

// Warnings implements Store.
func (d *DB) Warnings() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.warnings...)
}

// Warn adds a warning (the backends' notes about opening).
func (d *DB) Warn(msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.warnings = append(d.warnings, msg)
}

// Close implements Store.
func (d *DB) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	d.feed.close()
	err := d.db.Close()
	if d.onClose != nil {
		err = errors.Join(err, d.onClose())
	}
	return err
}

// ---- migrations ----

const migrationLock = "kycdesk migrations"

// migrate brings the schema up to date and checks the key. When nothing
// is to do it only reads, so that opening takes no write lock.
func (d *DB) migrate(ctx context.Context, strictKey bool) error {
	list, err := d.dialect.List()
	if err != nil {
		return err
	}
	latest := list[len(list)-1].Version
	check := keyCheck(d.key)
	var version int
	var stored string
	err = d.retry(ctx, func() error {
		if err := d.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return err
		}
		err := d.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'key_check'`).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			stored = ""
			return nil
		}
		return err
	})
	if err == nil && version == latest && stored == check {
		return nil
	}
	if err == nil && version > latest {
		return fmt.Errorf("its schema is version %d, newer than this kycdesk knows (%d): use a newer kycdesk", version, latest)
	}
	// A new database (no tables yet), a migration to apply or a key to record.
	return d.write(ctx, func(tx *wtx) error {
		if err := d.lock(ctx, tx, migrationLock); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations.Table); err != nil {
			return err
		}
		applied := map[int]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
			if v > latest {
				rows.Close()
				return fmt.Errorf("its schema is version %d, newer than this kycdesk knows (%d): use a newer kycdesk", v, latest)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, m := range list {
			if applied[m.Version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				m.Version, time.Now().UnixMilli()); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		var cur string
		err = tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'key_check'`).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('key_check', $1)`, check)
			return err
		case err != nil:
			return err
		case cur == check:
			return nil
		case strictKey:
			return fmt.Errorf("this store was written with another fingerprint key: set %s to the key the other desks use", KeyEnv)
		}
		d.warnings = append(d.warnings, "the fingerprint key is not the one this store was written with (was the key file replaced?): "+
			"sessions of unknown outcome recorded before cannot be retried, only resolved")
		_, err = tx.ExecContext(ctx, `UPDATE meta SET value = $1 WHERE name = 'key_check'`, check)
		return err
	})
}

// ---- transactions ----

// retry runs fn again while it fails with a retryable error, with short
// random pauses, for up to LockWait. Random pauses of a millisecond or
// so, the same for every waiter, keep a writer that has waited long from
// losing to newcomers (SQLite's own busy handler waits longer and longer).
func (d *DB) retry(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(LockWait)
	for {
		err := fn()
		if err == nil || !d.retryable(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(time.Duration(200+rand.IntN(1800)) * time.Microsecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// write runs fn in a transaction: on SQLite BEGIN IMMEDIATE (the
// connection's _txlock), which holds the database's write lock from the
// start; on PostgreSQL READ COMMITTED with advisory locks (lock).
func (d *DB) write(ctx context.Context, fn func(tx *wtx) error) error {
	return d.writeTx(ctx, false, fn)
}

func (d *DB) writeTx(ctx context.Context, bulk bool, fn func(tx *wtx) error) error {
	return d.retry(ctx, func() error {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		w := &wtx{Tx: tx, ctx: ctx}
		var steps []string
		if bulk {
			w.stmts = map[string]*sql.Stmt{}
			steps = d.dialect.BulkStart
		}
		for _, q := range steps {
			if err := w.exec(q); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := fn(w); err != nil {
			tx.Rollback()
			return err
		}
		if bulk {
			for _, q := range d.dialect.BulkEnd {
				if err := w.exec(q); err != nil {
					tx.Rollback()
					return err
				}
			}
		}
		return tx.Commit()
	})
}

// wtx is a write transaction. A bulk one (an import, a load) prepares
// each statement once instead of at each use.
type wtx struct {
	*sql.Tx
	ctx   context.Context
	stmts map[string]*sql.Stmt
}

func (w *wtx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *wtx) exec(q string, args ...any) error {
	if w.stmts == nil {
		_, err := w.ExecContext(w.ctx, q, args...)
		return err
	}
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(w.ctx, args...)
	return err
}

func (w *wtx) row(q string, args ...any) *sql.Row {
	if w.stmts == nil {
		return w.QueryRowContext(w.ctx, q, args...)
	}
	st, err := w.stmt(q)
	if err != nil {
		// A Row carrying the error: the query fails the same way.
		return w.QueryRowContext(w.ctx, q, args...)
	}
	return st.QueryRowContext(w.ctx, args...)
}

// lock takes the dialect's transaction lock on name (nothing on SQLite,
// whose writers are serialised already).
func (d *DB) lock(ctx context.Context, tx *wtx, name string) error {
	if d.dialect.Lock == "" {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	_, err := tx.ExecContext(ctx, d.dialect.Lock, int64(h.Sum64()))
	return err
}

func (d *DB) notify(ctx context.Context, tx *wtx, id string) error {
	if d.dialect.Notify == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, d.dialect.Notify, d.channel, id)
	return err
}

func (d *DB) failed(err error) error {
	if err == nil {
		return nil
	}
	var pe *providers.Error
	var de *DuplicateError
	if errors.As(err, &pe) || errors.As(err, &de) || errors.Is(err, ErrNotFound) || errors.Is(err, errRefused) {
		return err
	}
	return fmt.Errorf("store %s: %w", d.location, err)
}

// errRefused marks the store's refusals (nothing written) so that they
// are not reported as database failures.
var errRefused = errors.New("refused")

type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }
func (r *refusal) Unwrap() error { return errRefused }

func refuse(format string, a ...any) error { return &refusal{fmt.Sprintf(format, a...)} }

// ---- writing ----

// stamp is an event's time: t, or now.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return normTime(time.Now())
	}
	return normTime(t)
}

// Intent implements Store.
func (d *DB) Intent(ctx context.Context, in Intent) (*Session, error) {
	if in.Provider == "" || in.Mode == "" {
		return nil, errors.New("intent: no provider or mode")
	}
	if in.Request == nil {
		return nil, errors.New("intent: no request")
	}
	at := stamp(in.At)
	e := &eventDoc{Provider: in.Provider, Mode: in.Mode, Endpoint: in.Endpoint, Customer: strings.TrimSpace(in.Customer),
		Fingerprint: fingerprint(d.key, in.Request), Attempt: 1, SendingUntil: sendingUntil(at, in.SendingUntil)}
	if v := encodeValues(in.Values); v != "" {
		e.Values = json.RawMessage(v)
	}
	actor := ActorOf(ctx)
	var out *Session
	err := d.write(ctx, func(tx *wtx) error {
		if in.Guard && e.Customer != "" {
			if err := d.lock(ctx, tx, "guard\x00"+e.Provider+"\x00"+string(e.Mode)+"\x00"+e.Customer); err != nil {
				return err
			}
			pend, err := d.pendingFor(ctx, tx, e.Provider, e.Customer, e.Mode, at)
			if err != nil {
				return err
			}
			if len(pend) > 0 {
				return &DuplicateError{Pending: pend}
			}
		}
		id, err := d.claimID(ctx, tx, at)
		if err != nil {
			return err
		}
		s, err := foldEvent(nil, id, EventIntent, at, actor, e)
		if err != nil {
			return err
		}
		seq, err := d.insertEvent(ctx, tx, id, EventIntent, at, actor, e)
		if err != nil {
			return err
		}
		s.num = seq
		if err := d.insertSession(ctx, tx, s, seq); err != nil {
			return err
		}
		out = s
		return d.notify(ctx, tx, id)
	})
	return out, d.failed(err)
}

func sendingUntil(at, until time.Time) time.Time {
	if until.IsZero() {
		return at.Add(DefaultSendLease)
	}
	return normTime(until)
}

// claimID picks an id no session has: time-sortable like the journal's,
// the next free one when taken (by this store or, on PostgreSQL, by a desk
// committing the same id at the same moment, which the lock orders).
func (d *DB) claimID(ctx context.Context, tx *wtx, at time.Time) (string, error) {
	n := uint64(max(at.Unix(), 0))<<5 | uint64(rand.IntN(32))
	for range 1 << 16 {
		id := encodeID(n)
		if err := d.lock(ctx, tx, "id\x00"+id); err != nil {
			return "", err
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE id = $1`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return id, nil
		}
		if err != nil {
			return "", err
		}
		n++
	}
	return "", errors.New("no free session id")
}

// update appends the event build returns to session id and folds it, in
// one transaction that holds the session's lock. build may return a nil
// event to write nothing, or an error to refuse.
func (d *DB) update(ctx context.Context, id string, build func(cur *Session) (string, time.Time, *eventDoc, error)) (*Session, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	actor := ActorOf(ctx)
	var out *Session
	err := d.write(ctx, func(tx *wtx) error {
		if err := d.lock(ctx, tx, "id\x00"+id); err != nil {
			return err
		}
		cur, err := d.load(ctx, tx, id)
		if err != nil {
			return err
		}
		kind, at, e, err := build(cur)
		if err != nil || e == nil {
			out = cur
			return err
		}
		next, err := foldEvent(cur, id, kind, at, actor, e)
		if err != nil {
			return refuse("%v", err)
		}
		seq, err := d.insertEvent(ctx, tx, id, kind, at, actor, e)
		if err != nil {
			return err
		}
		next.num = cur.num
		if err := d.updateSession(ctx, tx, next, seq); err != nil {
			return err
		}
		if kind == EventOutcome && e.Error == nil {
			if err := d.insertRefs(ctx, tx, next.num, e.References); err != nil {
				return err
			}
		}
		out = next
		return d.notify(ctx, tx, id)
	})
	if err != nil {
		return nil, d.failed(err)
	}
	return out, nil
}

// Attempt implements Store.
func (d *DB) Attempt(ctx context.Context, id string, a Attempt) (*Session, error) {
	if a.Request == nil {
		return nil, errors.New("retry: no request")
	}
	at := stamp(a.At)
	values := encodeValues(a.Values)
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		switch {
		case cur.Launched():
			return "", at, nil, refuse("session %s was launched (state: %s); there is nothing to retry", cur.ID, cur.State)
		case cur.State == StateResolved:
			return "", at, nil, refuse("session %s was resolved (%s); launch a new session instead", cur.ID, cur.Resolution)
		case cur.Sending(at):
			return "", at, nil, refuse("session %s is being sent (until %s, perhaps by another desk); wait for its outcome",
				cur.ID, cur.SendingUntil.Format("15:04:05"))
		}
		fp := fingerprintOf(d.key, a.Request, cur.RequestHash)
		if cur.RequestHash == "" || cur.RequestHash != fp {
			return "", at, nil, bodyChanged(cur, fp)
		}
		e := &eventDoc{Fingerprint: fp, Attempt: cur.Attempts + 1, SendingUntil: sendingUntil(at, a.SendingUntil)}
		if values != "" {
			e.Values = json.RawMessage(values)
		}
		return EventIntent, at, e, nil
	})
}

// Outcome implements Store.
func (d *DB) Outcome(ctx context.Context, id string, o Outcome) (*Session, error) {
	at := stamp(o.At)
	e := outcomeEvent(o)
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		if cur.Launched() {
			return "", at, nil, refuse("session %s already has a launch outcome", cur.ID)
		}
		if cur.Customer != "" {
			e.Customer = "" // the intent has it
		}
		return EventOutcome, at, e, nil
	})
}

// Status implements Store.
func (d *DB) Status(ctx context.Context, id string, st *providers.Status) (*Session, error) {
	if st == nil || st.State == "" {
		return nil, errors.New("status: empty")
	}
	detail := clip(strings.TrimSpace(providers.SanitizeLine(st.Detail)), 500)
	at := stamp(st.At)
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		if !cur.Launched() {
			return "", at, nil, refuse("session %s has no launch outcome (state: %s); there is no status to record", cur.ID, cur.State)
		}
		last := ""
		if n := len(cur.History); n > 0 {
			last = cur.History[n-1].Detail
		}
		if st.State == cur.State && detail == last {
			return "", at, nil, nil
		}
		return EventStatus, at, &eventDoc{State: st.State, Detail: detail}, nil
	})
}

// Resolve implements Store.
func (d *DB) Resolve(ctx context.Context, id, how string) (*Session, error) {
	return d.resolveAt(ctx, id, how, time.Time{})
}

func (d *DB) resolveAt(ctx context.Context, id, how string, at time.Time) (*Session, error) {
	how = clip(strings.TrimSpace(providers.SanitizeLine(how)), 500)
	if how == "" {
		return nil, refuse("say how the outcome was resolved (e.g. \"checked: not created\")")
	}
	at = stamp(at)
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		switch {
		case !cur.OutcomeUnknown():
			return "", at, nil, refuse("session %s is %s, not of unknown outcome; there is nothing to resolve", cur.ID, cur.State)
		case cur.Sending(at):
			return "", at, nil, refuse("session %s is being sent (until %s, perhaps by another desk); wait for its outcome",
				cur.ID, cur.SendingUntil.Format("15:04:05"))
		}
		return EventResolved, at, &eventDoc{Detail: how}, nil
	})
}

// Audit implements Store.
func (d *DB) Audit(ctx context.Context, a AuditEntry) error {
	action := clip(strings.TrimSpace(providers.SanitizeLine(a.Action)), 100)
	if action == "" {
		return errors.New("audit: no action")
	}
	at := stamp(a.At)
	e := &eventDoc{Action: action, Detail: clip(strings.TrimSpace(providers.SanitizeLine(a.Detail)), 500)}
	id := strings.ToLower(strings.TrimSpace(a.Session))
	actor := ActorOf(ctx)
	err := d.write(ctx, func(tx *wtx) error {
		_, err := d.insertEvent(ctx, tx, id, EventAudit, at, actor, e)
		return err
	})
	return d.failed(err)
}

// ---- rows ----

const sessionCols = `s.num, s.id, s.provider, s.mode, s.customer, s.state, s.created_at, s.sending_until, d.doc`
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
	if err := r.Scan(&s.num, &s.ID, &s.Provider, &mode, &s.Customer, &state, &created, &sending, &doc); err != nil {
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

func (d *DB) load(ctx context.Context, q querier, id string) (*Session, error) {
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM `+sessionFrom+` WHERE s.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return s, err
}

func (d *DB) insertEvent(ctx context.Context, tx *wtx, id, kind string, at time.Time, actor Actor, e *eventDoc) (int64, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	var seq int64
	err = tx.row(`INSERT INTO events (session_id, kind, at, operator, desk, data) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
		id, kind, at.UnixMilli(), clip(providers.SanitizeLine(actor.Operator), 200), clip(providers.SanitizeLine(actor.Desk), 200),
		string(data)).Scan(&seq)
	return seq, err
}

func (d *DB) insertSession(ctx context.Context, tx *wtx, s *Session, lastSeq int64) error {
	doc, err := json.Marshal(docOf(s))
	if err != nil {
		return err
	}
	if err := tx.exec(`INSERT INTO sessions (num, id, provider, mode, customer, state, created_at, active_until, sending_until, last_seq, search)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		s.num, s.ID, s.Provider, string(s.Mode), s.Customer, string(s.State), s.CreatedAt.UnixMilli(), activeUntil(s),
		ms(s.SendingUntil), lastSeq, searchText(s)); err != nil {
		return err
	}
	return tx.exec(`INSERT INTO session_docs (num, doc) VALUES ($1, $2)`, s.num, string(doc))
}

func (d *DB) updateSession(ctx context.Context, tx *wtx, s *Session, lastSeq int64) error {
	doc, err := json.Marshal(docOf(s))
	if err != nil {
		return err
	}
	if err := tx.exec(`UPDATE sessions SET customer = $2, state = $3, active_until = $4, sending_until = $5, last_seq = $6, search = $7 WHERE num = $1`,
		s.num, s.Customer, string(s.State), activeUntil(s), ms(s.SendingUntil), lastSeq, searchText(s)); err != nil {
		return err
	}
	return tx.exec(`UPDATE session_docs SET doc = $2 WHERE num = $1`, s.num, string(doc))
}

func (d *DB) insertRefs(ctx context.Context, tx *wtx, num int64, refs map[string]string) error {
	seen := map[string]bool{}
	for _, k := range sortedKeys(refs) {
		v := refs[k]
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		if err := tx.exec(`INSERT INTO refs (value, num) VALUES ($1, $2) ON CONFLICT DO NOTHING`, v, num); err != nil {
			return err
		}
	}
	return nil
}

// ---- reading ----

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
	hits, err := d.sessions(ctx, d.db, `SELECT `+sessionCols+` FROM `+sessionFrom+` WHERE s.id = $1`, lq)
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
		ev.Attempt, ev.Detail, ev.Action = e.Attempt, e.Detail, e.Action
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
		case EventStatus:
			ev.State = e.State
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, d.failed(err)
	}
	if len(out) == 0 {
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

// ---- change feed ----

// Subscribe implements Store.
func (d *DB) Subscribe(ctx context.Context) (<-chan Change, error) {
	return d.feed.subscribe(ctx)
}

// poll is the change feed of a database without notifications (SQLite):
// the events appended since the last look, every interval. SQLite
// numbers events in commit order, so none is missed.
func (d *DB) poll(ctx context.Context, every time.Duration, emit func(Change), ready func()) {
	var last int64
	for {
		err := d.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&last)
		if err == nil {
			ready()
			break
		}
		if !sleepCtx(ctx, every) {
			return
		}
	}
	for sleepCtx(ctx, every) {
		for {
			ids, next, n, err := d.changedSince(ctx, last, 1000)
			if err != nil {
				break
			}
			last = next
			if len(ids) > 0 {
				emit(Change{IDs: ids})
			}
			if n < 1000 {
				break
			}
		}
	}
}

// changedSince lists the sessions of the events after seq (at most limit
// events, each id once), the last seq read and how many events it read.
func (d *DB) changedSince(ctx context.Context, seq int64, limit int) ([]string, int64, int, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT seq, session_id FROM events WHERE seq > $1 AND kind <> 'audit' ORDER BY seq LIMIT `+
		strconv.Itoa(limit), seq)
	if err != nil {
		return nil, seq, 0, err
	}
	defer rows.Close()
	var ids []string
	n := 0
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&seq, &id); err != nil {
			return nil, seq, n, err
		}
		n++
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, seq, n, rows.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
