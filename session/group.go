package session

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Group commit: the writes that wait at the same time share one
// transaction and one commit.
//
// A durable commit costs a disk flush (about 2 ms here, with SQLite's
// synchronous=FULL or PostgreSQL's fsync=on), and every write of the store
// is ordered by the chain (chain.go), so writes commit one after another:
// 50 desks launching together were 150 flushes in a row (an intent, an
// outcome and the desk's state each), 300 ms before the last desk saw its
// QR (issue 18). Here one writer goroutine takes every write that is
// waiting, runs each in a savepoint of one transaction, and commits them
// together.
//
// The record's rules are unchanged: each write runs its own checks inside
// the transaction, sees the writes before it in the batch, and a write
// that is refused or fails is rolled back to its savepoint alone. A write
// that would wait for a lock while the batch holds the chain's lock (the
// last lock of every transaction, see chainLock) goes to the next batch
// instead of waiting: waiting there could deadlock with another serve.

// maxBatch bounds one transaction's writes.
const maxBatch = 128

// errLater: the write needs a lock another transaction holds while this
// batch holds the chain's lock; it runs first in the next batch.
var errLater = errors.New("session: write moved to the next batch")

var errClosed = errors.New("session: the store is closed")

type writeReq struct {
	ctx   context.Context
	fn    func(tx *wtx) error
	err   error
	later bool
	done  chan struct{}
}

// group is the store's writer: a queue and the goroutine that drains it.
type group struct {
	mu     sync.Mutex
	queue  []*writeReq
	closed bool
	wake   chan struct{}
	quit   chan struct{}
	ended  chan struct{}
	// gate is held by the writer while it runs a batch, and by HoldWrites.
	gate sync.Mutex
}

// HoldWrites makes writes wait in the queue until release is called; they
// then commit together (at most maxBatch at a time). It is for tests of the
// record's rules inside a batch; queued says how many writes wait.
func (d *DB) HoldWrites() (release func(), queued func() int) {
	g := d.group
	g.gate.Lock()
	var once sync.Once
	return func() { once.Do(g.gate.Unlock) }, func() int {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.queue)
	}
}

func (d *DB) startGroup() {
	d.group = &group{wake: make(chan struct{}, 1), quit: make(chan struct{}), ended: make(chan struct{})}
	go d.writer()
}

// stopGroup ends the writer after the batch it is running; writes still
// queued are answered errClosed.
func (d *DB) stopGroup() {
	if d.group == nil {
		return
	}
	close(d.group.quit)
	<-d.group.ended
}

// grouped runs fn in the next batch and returns its result once the batch
// committed (or fn was refused). The caller's ctx is checked before fn
// runs; once fn runs, its write is committed or not as the batch is, and
// grouped waits for that even if ctx ends meanwhile.
func (d *DB) grouped(ctx context.Context, fn func(tx *wtx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	g := d.group
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return errClosed
	}
	g.queue = append(g.queue, r)
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
	<-r.done
	return r.err
}

func (d *DB) writer() {
	g := d.group
	defer close(g.ended)
	for {
		select {
		case <-g.quit:
			g.mu.Lock()
			g.closed = true
			rest := g.queue
			g.queue = nil
			g.mu.Unlock()
			for _, r := range rest {
				r.err = errClosed
				close(r.done)
			}
			return
		case <-g.wake:
		}
		g.gate.Lock()
		for {
			g.mu.Lock()
			n := min(len(g.queue), maxBatch)
			batch := append([]*writeReq(nil), g.queue[:n]...)
			g.queue = g.queue[n:]
			if len(g.queue) == 0 {
				g.queue = nil
			}
			g.mu.Unlock()
			if n == 0 {
				break
			}
			later := d.runBatch(batch)
			if len(later) > 0 {
				g.mu.Lock()
				g.queue = append(later, g.queue...)
				g.mu.Unlock()
			}
		}
		g.gate.Unlock()
	}
}

// runBatch commits batch, trying it again while it fails with a retryable
// error (another process holds the write lock, a serialization failure)
// for up to LockWait, and answers each write; it returns the writes moved
// to the next batch.
//
// The batch first runs without savepoints, which cost two statements a
// write (two round trips on PostgreSQL). The first write that is refused
// or fails rolls it all back, and it runs again with a savepoint for each
// write: every answer comes from the transaction that commits.
func (d *DB) runBatch(batch []*writeReq) (later []*writeReq) {
	deadline := time.Now().Add(LockWait)
	savepoints := false
	for {
		live := batch[:0]
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.err = err
				close(r.done)
				continue
			}
			live = append(live, r)
		}
		batch = live
		if len(batch) == 0 {
			return nil
		}
		again, err := d.tryBatch(batch, savepoints)
		if again {
			savepoints = true
			continue
		}
		if err != nil && d.retryable(err) && time.Now().Before(deadline) {
			time.Sleep(time.Duration(200+rand.IntN(1800)) * time.Microsecond)
			continue
		}
		for _, r := range batch {
			switch {
			case err != nil:
				r.err = err
			case r.later:
				later = append(later, r)
				continue
			}
			close(r.done)
		}
		return later
	}
}

// The savepoint each write of a batch runs in, once one was refused.
const (
	sqlSavepoint  = `SAVEPOINT kycdesk_write`
	sqlRelease    = `RELEASE SAVEPOINT kycdesk_write`
	sqlRollbackTo = `ROLLBACK TO SAVEPOINT kycdesk_write`
)

// beginBatch begins a batch's transaction; pipelined: on a connection of
// its own, to queue the statements that may wait (pipeline.go), when the
// database can.
func (d *DB) beginBatch(ctx context.Context, pipelined bool) (*wtx, error) {
	if !pipelined || d.pipeline == nil {
		tx, err := d.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &wtx{Tx: tx, ctx: ctx, db: d, grouped: true}, nil
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &wtx{Tx: tx, ctx: ctx, db: d, grouped: true, conn: conn}, nil
}

// end gives a pipelined batch's connection back, once its transaction
// ended.
func (w *wtx) end() {
	if w.conn != nil {
		w.conn.Close()
	}
}

// tryBatch runs the writes in one transaction and commits it. It returns
// an error that fails the whole batch (the transaction could not begin or
// commit, a retryable failure, the connection broke); a write's own
// refusal or failure is left in its err, its work rolled back: by its
// savepoint (savepoints), or by the whole transaction, which is then to be
// run again with savepoints (again).
func (d *DB) tryBatch(batch []*writeReq, savepoints bool) (again bool, _ error) {
	// Statements run under the batch's own bound, not a caller's context:
	// an interrupted statement can roll back the whole transaction
	// (SQLite), and the other writes are not the caller's to cancel.
	ctx, cancel := context.WithTimeout(context.Background(), LockWait)
	defer cancel()
	multi := len(batch) > 1
	w, err := d.beginBatch(ctx, multi && !savepoints)
	if err != nil {
		return false, err
	}
	defer w.end()
	tx := w.Tx
	// notAsQueued ends a pipelined run whose queued statements failed or
	// found the database other than expected (pipeline.go): the batch runs
	// again one write at a time.
	notAsQueued := func() (bool, error) {
		tx.Rollback()
		if d.retryable(w.pipeErr) {
			return false, w.pipeErr
		}
		return true, nil
	}
	for _, r := range batch {
		r.err, r.later = nil, false
		if !multi || !savepoints {
			err := r.fn(w)
			if w.pipeErr != nil {
				return notAsQueued()
			}
			if err == nil {
				continue
			}
			tx.Rollback()
			switch {
			case d.retryable(err):
				return false, err
			case multi:
				return true, nil
			}
			r.err = err // alone: nothing to commit
			return false, nil
		}
		if err := w.exec(sqlSavepoint); err != nil {
			tx.Rollback()
			return false, err
		}
		head, chained, held, notices, committed := w.head, w.chained, w.chainHeld, len(w.notices), len(w.committed)
		err := r.fn(w)
		if err == nil {
			if err := w.exec(sqlRelease); err != nil {
				tx.Rollback()
				return false, err
			}
			continue
		}
		if d.retryable(err) {
			tx.Rollback()
			return false, err
		}
		if e := w.exec(sqlRollbackTo); e != nil {
			tx.Rollback()
			return false, e
		}
		if e := w.exec(sqlRelease); e != nil {
			tx.Rollback()
			return false, e
		}
		// What the write read of the chain, the notices it queued and the
		// locks it took went with its savepoint: PostgreSQL releases a
		// lock taken after a savepoint when the transaction rolls back to
		// it, the chain's too.
		w.head, w.chained, w.chainHeld, w.committed = head, chained, held, w.committed[:committed]
		w.notices, w.noticeOf = w.notices[:notices], w.noticeOf[:notices]
		if errors.Is(err, errLater) {
			r.later = true
		} else {
			r.err = err
		}
	}
	sender, err := d.flushNotices(w)
	if err == nil {
		err = w.flush() // what is still queued: there were no notices
	}
	if w.pipeErr != nil {
		return notAsQueued()
	}
	if err != nil {
		tx.Rollback()
		return false, err
	}
	// The notifications come back through this store's own feed once the
	// transaction commits, and not before: what they are is known now.
	seqs := make([]int64, len(w.noticeOf))
	for i, s := range w.noticeOf {
		seqs[i] = s.seq
	}
	echoes := d.echoes.expect(sender, w.notices, seqs)
	if err := tx.Commit(); err != nil {
		d.echoes.forget(echoes) // committed or not: none is taken as ours
		return false, err
	}
	for _, f := range w.committed {
		f()
	}
	return false, nil
}
