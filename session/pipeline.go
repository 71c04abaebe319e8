package session

import (
	"context"
	"database/sql"
	"errors"
)

// A batch of writes (group.go) ran its statements one after another, each
// a round trip to the database while every other write of the batch
// waited: 50 desks launching together were two batches of about 50 round
// trips in a row, intents then outcomes, and on PostgreSQL those round
// trips were most of a launch (issue 18: intent and outcome 38 and 40 ms
// of an 88 ms launch, p50). Where the database can pipeline statements
// (DBConfig.Pipeline), a write whose statement decides nothing the write
// itself goes on with (a launch's claim and insert, an outcome written on
// condition that its row is as remembered, a desk's state) queues it
// (wtx.later), and the batch sends the queued statements together, in
// order, before any statement it must wait for and before it commits.
//
// A queued statement is written as if it will do what it does when the
// database is as the batch expects: the claimed id free, the remembered
// row unchanged. When it is not (its Row says so), or a statement fails,
// the whole transaction rolls back and the batch runs again one write at a
// time, each in its savepoint, exactly as without pipelining: what the
// record keeps is decided by the same statements on the same rows.

// Piped is a statement of a write transaction sent later, with the
// statements queued before and after it (DBConfig.Pipeline).
type Piped struct {
	SQL  string
	Args []any
	// Row is given the statement's first row once the statement ran; its
	// scan returns sql.ErrNoRows when there is none. Nil: the rows are
	// not read (an insert, an update).
	Row func(scan func(dest ...any) error) error
}

// A Pipeline runs stmts in conn's open transaction, in order, sending
// them together (one round trip), and calls each one's Row in order. It
// returns the first error: a statement's, or a Row's.
type Pipeline func(ctx context.Context, conn *sql.Conn, stmts []Piped) error

// errNotAsQueued: a queued statement found the database other than the
// write that queued it expected (the id it claimed taken, the row it
// wrote on condition changed); the batch runs again without queuing.
var errNotAsQueued = errors.New("a queued statement found the database changed")

// pipelining reports whether w queues the statements that may wait.
func (w *wtx) pipelining() bool { return w.conn != nil }

// later queues q (see Piped) when w pipelines and reports whether it did;
// otherwise the caller runs q now. Row's failure, or sql.ErrNoRows from
// its scan, fails the batch's pipelined run (errNotAsQueued).
func (w *wtx) later(q string, args []any, row func(scan func(dest ...any) error) error) bool {
	if !w.pipelining() {
		return false
	}
	w.piped = append(w.piped, Piped{SQL: q, Args: args, Row: row})
	return true
}

// laterSeq is later for a write that returns its event's seq: done gets
// it once the statement ran; no row fails the pipelined run.
func (w *wtx) laterSeq(q string, args []any, done func(seq int64)) bool {
	return w.later(q, args, func(scan func(...any) error) error {
		var seq int64
		err := scan(&seq)
		if err == nil {
			done(seq)
		}
		return err
	})
}

// flush sends the queued statements. Once it failed, w is spent: the
// batch rolls back and runs again (tryBatch reads w.pipeErr).
func (w *wtx) flush() error {
	if w.pipeErr != nil {
		return w.pipeErr
	}
	if len(w.piped) == 0 {
		return nil
	}
	stmts := w.piped
	w.piped = nil
	if err := w.db.pipeline(w.ctx, w.conn, stmts); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = errNotAsQueued
		}
		w.pipeErr = err
		return err
	}
	return nil
}

// The statements a write runs at once send what it queued first: a read
// must see the writes before it, and the database must run them in order.

func (w *wtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	return w.Tx.ExecContext(ctx, q, args...)
}

func (w *wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	return w.Tx.QueryContext(ctx, q, args...)
}

// QueryRowContext runs q even when the flush failed (a Row cannot carry
// that error): the batch is rolled back whatever q finds.
func (w *wtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	_ = w.flush()
	return w.Tx.QueryRowContext(ctx, q, args...)
}
