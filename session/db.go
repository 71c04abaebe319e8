package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/session/migrations"
)

// This file is the store's plumbing: opening, migrating, transactions,
// retries and locks. The writes are in write.go, the reads in read.go,
// the change feed in feed.go, the MAC chain in chain.go.

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
	// Pipeline sends a batch's queued statements together (pipeline.go);
	// nil runs each one on its own.
	Pipeline Pipeline
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
	pipeline  Pipeline
	channel   string
	feed      *feed
	onClose   func() error

	// stmts are the statements prepared once (prepared): SQL → *sql.Stmt.
	stmts sync.Map
	// sqlClaimFree and sqlLockedByID take a lock and read in one
	// statement, and sqlClaimSession claims a launch's id and inserts it,
	// for a transaction that holds the chain's lock (write.go); "" without
	// Dialect.TryLockFunc (sqlClaimSession: or Dialect.WriteCTE).
	sqlClaimFree, sqlLockedByID, sqlClaimSession string
	// sqlUpdateIfWas and recent: a write to a session this store wrote
	// last, as it wrote it, without reading it first (recent.go).
	sqlUpdateIfWas string
	recent         recentSessions
	// echoes are the notifications this store sent, until its feed brings
	// them back (echo.go).
	echoes echoes
	// group is the writer that commits concurrent writes together
	// (group.go).
	group *group

	mu       sync.Mutex
	warnings []string
	closed   bool
	// purge: a migration rewrote events; their old bytes are purged once
	// it has committed (Dialect.Purge).
	purge bool
}

var _ Store = (*DB)(nil)

// NewDB applies the migrations the database lacks, checks the key and
// returns the store. It closes c.DB when it fails.
func NewDB(ctx context.Context, c DBConfig) (_ *DB, err error) {
	d := &DB{db: c.DB, dialect: c.Dialect, location: c.Location, key: c.Key, retryable: c.Retryable,
		pipeline: c.Pipeline, onClose: c.OnClose}
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
	if f := c.Dialect.TryLockFunc; f != "" {
		d.sqlClaimFree = `SELECT CASE WHEN EXISTS (SELECT 1 FROM sessions WHERE id = $2) THEN false ELSE ` + f + `($1) END`
		d.sqlLockedByID = `SELECT ` + f + `($2), ` + sessionCols + ` FROM ` + sessionFrom + ` WHERE s.id = $1`
		if c.Dialect.WriteCTE {
			d.sqlClaimSession = claimSessionSQL(f)
			d.sqlUpdateIfWas = updateIfWasSQL(f)
		}
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
	d.prepareHot(ctx)
	watch := c.Watch
	if watch == nil {
		every := c.PollEvery
		if every <= 0 {
			every = 250 * time.Millisecond
		}
		watch = func(ctx context.Context, _ string, emit func(Change), ready func()) { d.poll(ctx, every, emit, ready) }
	}
	d.feed = newFeed(func(ctx context.Context, emit func(Change), ready func()) {
		watch(ctx, d.channel, func(c Change) {
			d.echoes.name(&c)
			emit(c)
		}, func() {
			d.echoes.listen(true)
			ready()
		})
	})
	d.startGroup()
	return d, nil
}

// SQL is the database, for the backends' own checks and for tests.
func (d *DB) SQL() *sql.DB { return d.db }

// Location implements Store.
func (d *DB) Location() string { return d.location }

// Fingerprint implements Store.
func (d *DB) Fingerprint(req *http.Request) string { return fingerprint(d.key, req) }

// CustomerKey implements Store.
func (d *DB) CustomerKey() []byte { return customerKey(d.key) }

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
	d.stopGroup()
	d.feed.close()
	d.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
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
	var version, count int
	var stored string
	err = d.retry(ctx, func() error {
		if err := d.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0), count(*) FROM schema_migrations`).Scan(&version, &count); err != nil {
			return err
		}
		err := d.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'key_check'`).Scan(&stored)
		if errors.Is(err, sql.ErrNoRows) {
			stored = ""
			return nil
		}
		return err
	})
	if err == nil && version == latest && count == len(list) && stored == check {
		return nil
	}
	if err == nil && version > latest {
		return fmt.Errorf("its schema is version %d, newer than this kycdesk knows (%d): use a newer kycdesk", version, latest)
	}
	// A new database (no tables yet), a migration to apply or a key to record.
	defer d.purgeRewritten(ctx)
	// Statements prepared in the transaction: the migration's DDL locks
	// the tables, and one prepared on another connection would wait for it.
	return d.writeTx(ctx, txLocal, func(tx *wtx) error {
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
			if m.Version == chainVersion {
				if err := d.startChain(ctx, tx); err != nil {
					return fmt.Errorf("migration %s: %w", m.Name, err)
				}
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
		d.warnings = append(d.warnings, "the store key is not the one this store was written with (was the key file replaced?): "+
			"sessions of unknown outcome recorded before cannot be retried, only resolved, and `kycdesk audit verify` "+
			"cannot check the history written under the other key")
		_, err = tx.ExecContext(ctx, `UPDATE meta SET value = $1 WHERE name = 'key_check'`, check)
		return err
	})
}

// purgeRewritten runs the dialect's Purge once a migration that rewrote
// events has committed; a failure (another process holds the database)
// is a warning: the rows are clean, their old bytes wait for a VACUUM.
func (d *DB) purgeRewritten(ctx context.Context) {
	if !d.purge {
		return
	}
	d.purge = false
	for _, q := range d.dialect.Purge {
		if _, err := d.db.ExecContext(ctx, q); err != nil {
			d.warnings = append(d.warnings, fmt.Sprintf("the cleaned rows' old bytes may remain in the database's files until it is vacuumed (%s: %v)", q, err))
			return
		}
	}
}

// chainVersion is the migration that starts the MAC chain (0002_chain.sql).
const chainVersion = 2

// startChain runs in the transaction of the migration that adds the
// chain: what an earlier release imported is cleaned under today's rules
// (the one place events are rewritten), the events already there are
// sealed into the chain, and both are recorded as an event and said once.
func (d *DB) startChain(ctx context.Context, tx *wtx) error {
	cleaned, err := d.cleanImportedRows(ctx, tx)
	if err != nil {
		return err
	}
	sealed, err := d.sealUnchained(ctx, tx)
	if err != nil {
		return err
	}
	if cleaned > 0 {
		d.purge = true
		msg := fmt.Sprintf("cleaned %d sessions imported from an earlier release's journal under today's rules: "+
			"launch values dropped, phone numbers masked, hashed customer ids keyed, credentials and control characters removed", cleaned)
		if _, err := d.insertEvent(ctx, tx, "", EventAudit, stamp(time.Time{}), Actor{},
			&eventDoc{Action: "migration", Detail: msg}); err != nil {
			return err
		}
		d.warnings = append(d.warnings, msg)
	}
	if sealed > 0 {
		d.warnings = append(d.warnings, fmt.Sprintf("the history's %d earlier events were sealed into its new MAC chain: "+
			"from now on `kycdesk audit verify` detects a change to any event, but not one made before today", sealed))
	}
	return nil
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
// start; on PostgreSQL READ COMMITTED with advisory locks (lock). Writes
// waiting at the same time share the transaction and its commit, each in
// its own savepoint (group.go).
func (d *DB) write(ctx context.Context, fn func(tx *wtx) error) error {
	return d.grouped(ctx, fn)
}

// How a write transaction prepares its statements.
const (
	txShared = iota // once per connection, kept (DB.prepared)
	txLocal         // in the transaction (a migration, whose DDL locks the tables)
	txBulk          // in the transaction, with the dialect's bulk-load steps
)

func (d *DB) writeTx(ctx context.Context, mode int, fn func(tx *wtx) error) error {
	bulk := mode == txBulk
	return d.retry(ctx, func() error {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		w := &wtx{Tx: tx, ctx: ctx, db: d}
		var steps []string
		if mode != txShared {
			w.stmts = map[string]*sql.Stmt{}
		}
		if bulk {
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

// wtx is a write transaction. Its statements are prepared once per
// connection and kept (DB.prepared): a webhook or a launch does not pay
// for parsing the same SQL again. A bulk one (an import, a load) keeps
// its own, prepared in the transaction.
type wtx struct {
	*sql.Tx
	// ctx bounds the transaction's statements: a batch's own, never one
	// caller's (a caller's cancelled context would abort the others'
	// writes too).
	ctx   context.Context
	db    *DB
	stmts map[string]*sql.Stmt
	// head is the MAC of the last event this transaction wrote, once it
	// holds the chain's lock (chained).
	head    string
	chained bool
	// chainHeld: the transaction took the chain's lock (it keeps it even
	// when the write that took it was rolled back to its savepoint).
	chainHeld bool
	// grouped: a batch of writes (group.go), whose change notices wait
	// for its end (notices).
	grouped bool
	notices []string
	// noticeOf are the notices' sessions, whose last events (seq) are
	// known once their statements ran (a queued one: after the flush).
	noticeOf []*Session
	// committed run once the transaction has committed, in order: what
	// recent learns of its writes (remember).
	committed []func()
	// taken are the session ids of the minute from takenBase, read once
	// per transaction by the first launch that claims one (claimID).
	taken     map[string]bool
	takenBase uint64
	// conn is the connection of a batch that pipelines (pipeline.go): its
	// queued statements (piped), and what failed them (pipeErr).
	conn    *sql.Conn
	piped   []Piped
	pipeErr error
}

func (w *wtx) stmt(q string) (*sql.Stmt, error) {
	if w.stmts == nil {
		// Only statements prepared when the store opened: preparing one
		// now would take a second connection while this transaction holds
		// one, and a burst holding every connection would wait for ever.
		st, ok := w.db.stmts.Load(q)
		if !ok {
			return nil, errNotPrepared
		}
		return w.StmtContext(w.ctx, st.(*sql.Stmt)), nil
	}
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

// errNotPrepared: a statement not prepared when the store opened runs as
// it is.
var errNotPrepared = errors.New("not prepared")

func (w *wtx) exec(q string, args ...any) error {
	if err := w.flush(); err != nil {
		return err
	}
	st, err := w.stmt(q)
	if errors.Is(err, errNotPrepared) {
		_, err = w.ExecContext(w.ctx, q, args...)
		return err
	}
	if err != nil {
		return err
	}
	_, err = st.ExecContext(w.ctx, args...)
	return err
}

func (w *wtx) query(q string, args ...any) (*sql.Rows, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	st, err := w.stmt(q)
	if errors.Is(err, errNotPrepared) {
		return w.QueryContext(w.ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

func (w *wtx) row(q string, args ...any) *sql.Row {
	_ = w.flush() // on failure the batch rolls back whatever the row is
	st, err := w.stmt(q)
	if err != nil {
		// A Row carrying the error: the query fails the same way.
		return w.QueryRowContext(w.ctx, q, args...)
	}
	return st.QueryRowContext(w.ctx, args...)
}

// prepared is q prepared on the database, once: database/sql prepares it
// again on each connection that runs it, and keeps that too.
func (d *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := d.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := d.db.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := d.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// prepareHot prepares the statements of every write, once, while the
// store opens and no transaction holds a connection.
func (d *DB) prepareHot(ctx context.Context) {
	hot := []string{sqlIDTaken, sqlChainHead, sqlInsertEvent, sqlInsertSession, sqlInsertDoc, sqlUpdateSession,
		sqlUpdateDoc, sqlInsertRef, selectByID, sqlIDsTaken, d.dialect.Lock, d.dialect.TryLock, d.sqlClaimFree, d.sqlLockedByID, d.sqlClaimSession, d.sqlUpdateIfWas, d.dialect.Notify,
		d.dialect.NotifyMany, sqlSavepoint, sqlRelease, sqlRollbackTo, sqlSetDeskState, sqlClearDeskState}
	if d.dialect.WriteCTE {
		hot = append(hot, sqlCTEInsertSession, sqlCTEUpdateSession)
	}
	for _, q := range hot {
		if q != "" {
			_, _ = d.prepared(ctx, q) // a failure leaves it to run unprepared
		}
	}
}

// queryRow is a read outside a transaction through a prepared statement
// (the hot reads: a session by id, by reference).
func (d *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := d.prepared(ctx, q)
	if err != nil {
		return d.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// tryLock takes the dialect's transaction lock on name if no other
// transaction holds it, and says whether it did (always on SQLite, whose
// writers are serialised already).
func (d *DB) tryLock(ctx context.Context, tx *wtx, name string) (bool, error) {
	if d.dialect.TryLock == "" {
		return true, nil
	}
	var ok bool
	err := tx.row(d.dialect.TryLock, lockKey(name)).Scan(&ok)
	return ok, err
}

// lockKey is name's 64-bit advisory lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// lock takes the dialect's transaction lock on name (nothing on SQLite,
// whose writers are serialised already).
//
// A transaction holding the chain's lock (a batch, after its first event)
// does not wait for another lock: that could deadlock with a transaction
// that holds this one and waits for the chain. The write goes to the next
// batch (errLater), where it runs first.
func (d *DB) lock(ctx context.Context, tx *wtx, name string) error {
	if d.dialect.Lock == "" {
		return nil
	}
	if tx.chainHeld && name != chainLock && d.dialect.TryLock != "" {
		ok, err := d.tryLock(ctx, tx, name)
		if err == nil && !ok {
			err = errLater
		}
		return err
	}
	return tx.exec(d.dialect.Lock, lockKey(name))
}

// notify tells other processes that session id changed (s as written),
// when tx commits. A batch's notices are sent together before its commit
// (flushNotices), with each session's last event, read then: a queued
// statement's (pipeline.go) is known once it ran.
func (d *DB) notify(ctx context.Context, tx *wtx, id string, s *Session) error {
	if d.dialect.Notify == "" {
		return nil
	}
	if tx.grouped {
		tx.notices = append(tx.notices, id)
		tx.noticeOf = append(tx.noticeOf, s)
		return nil
	}
	return tx.exec(d.dialect.Notify, d.channel, id)
}

// flushNotices sends the notices of a batch's writes, in one statement;
// it returns the backend that sent them (0: not known).
func (d *DB) flushNotices(tx *wtx) (uint32, error) {
	switch n := len(tx.notices); {
	case n == 0:
		return 0, nil
	case d.dialect.NotifyMany == "":
		for _, id := range tx.notices {
			if err := tx.exec(d.dialect.Notify, d.channel, id); err != nil {
				return 0, err
			}
		}
		return 0, nil
	default:
		var pid int64
		args := []any{d.channel, strings.Join(tx.notices, ",")}
		if tx.later(d.dialect.NotifyMany, args, func(scan func(...any) error) error { return scan(&pid) }) {
			err := tx.flush() // with the statements queued before
			return uint32(pid), err
		}
		err := tx.row(d.dialect.NotifyMany, args...).Scan(&pid)
		return uint32(pid), err
	}
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
