package session

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// feed hands the changes its watcher finds to every subscriber. The
// watcher (a poll, or LISTEN) starts with the first subscriber, so that a
// command that never subscribes never pays for it. A slow subscriber gets
// the changes merged, and never blocks the others.
type feed struct {
	watch func(ctx context.Context, emit func(Change), ready func())

	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	cancel  context.CancelFunc
	stopped chan struct{}
	ready   chan struct{} // closed once the watcher hears every change
	// owed: a subscriber stopped waiting for ready; when it comes, tell
	// everyone to reload.
	owed   bool
	closed bool
}

type subscriber struct {
	in   chan Change
	out  chan Change
	done chan struct{}
}

// readyWait bounds how long Subscribe waits for the watcher to be
// listening (a database that cannot be reached).
const readyWait = 10 * time.Second

func newFeed(watch func(ctx context.Context, emit func(Change), ready func())) *feed {
	return &feed{watch: watch, subs: map[*subscriber]struct{}{}}
}

// subscribe returns once the watcher hears every change (or after
// readyWait; then the first change it reports is a Resync).
func (f *feed) subscribe(ctx context.Context) (<-chan Change, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, errors.New("the store is closed")
	}
	if f.cancel == nil {
		wctx, cancel := context.WithCancel(context.Background())
		f.cancel, f.stopped, f.ready = cancel, make(chan struct{}), make(chan struct{})
		var once sync.Once
		ready := func() {
			once.Do(func() {
				f.mu.Lock()
				close(f.ready)
				owed := f.owed
				f.mu.Unlock()
				if owed {
					f.emit(Change{Resync: true})
				}
			})
		}
		go func() {
			defer close(f.stopped)
			f.watch(wctx, f.emit, ready)
		}()
	}
	s := &subscriber{in: make(chan Change, 16), out: make(chan Change), done: make(chan struct{})}
	f.subs[s] = struct{}{}
	ready := f.ready
	f.mu.Unlock()
	go s.run(ctx, func() {
		f.mu.Lock()
		delete(f.subs, s)
		f.mu.Unlock()
	})
	t := time.NewTimer(readyWait)
	defer t.Stop()
	select {
	case <-ready:
	case <-ctx.Done():
	case <-t.C:
		f.mu.Lock()
		f.owed = true
		f.mu.Unlock()
	}
	return s.out, nil
}

func (f *feed) emit(c Change) {
	f.mu.Lock()
	subs := make([]*subscriber, 0, len(f.subs))
	for s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	for _, s := range subs {
		select {
		case s.in <- c:
		case <-s.done:
		}
	}
}

func (f *feed) close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	cancel, stopped := f.cancel, f.stopped
	subs := f.subs
	f.subs = map[*subscriber]struct{}{}
	f.mu.Unlock()
	if cancel != nil {
		cancel()
		<-stopped
	}
	for s := range subs {
		close(s.in)
	}
}

// run forwards changes, merging those the reader has not taken yet.
func (s *subscriber) run(ctx context.Context, leave func()) {
	defer close(s.out)
	defer close(s.done)
	defer leave()
	var pending Change
	has := false
	for {
		var out chan Change
		if has {
			out = s.out
		}
		select {
		case c, ok := <-s.in:
			if !ok {
				return
			}
			pending = merge(pending, c)
			has = true
		case out <- pending:
			pending, has = Change{}, false
		case <-ctx.Done():
			return
		}
	}
}

// maxPendingIDs bounds what a slow subscriber is owed; beyond it, it is
// told to reload everything instead.
const maxPendingIDs = 1000

func merge(a, b Change) Change {
	if a.Resync || b.Resync {
		return Change{Resync: true}
	}
	out := Change{IDs: a.IDs, Seqs: make([]int64, len(a.IDs))}
	at := make(map[string]int, len(a.IDs)+len(b.IDs))
	for i, id := range a.IDs {
		at[id] = i
		out.Seqs[i] = a.SeqOf(i)
	}
	for j, id := range b.IDs {
		if i, ok := at[id]; ok {
			out.Seqs[i] = LaterSeq(out.Seqs[i], b.SeqOf(j))
			continue
		}
		at[id] = len(out.IDs)
		out.IDs = append(out.IDs, id)
		out.Seqs = append(out.Seqs, b.SeqOf(j))
	}
	if len(out.IDs) > maxPendingIDs {
		return Change{Resync: true}
	}
	return out
}

// LaterSeq is what two notices of one session say of its last event
// (Session.Seq) taken together: the later one, or 0 (not known) when
// either does not say.
func LaterSeq(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	return max(a, b)
}

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
		if !providers.Sleep(ctx, every) {
			return
		}
	}
	for providers.Sleep(ctx, every) {
		for {
			ids, seqs, next, n, err := d.changedSince(ctx, last, 1000)
			if err != nil {
				break
			}
			last = next
			if len(ids) > 0 {
				emit(Change{IDs: ids, Seqs: seqs})
			}
			if n < 1000 {
				break
			}
		}
	}
}

// changedSince lists the sessions of the events after seq (at most limit
// events, each id once, with its last event's seq), the last seq read and
// how many events it read.
func (d *DB) changedSince(ctx context.Context, seq int64, limit int) ([]string, []int64, int64, int, error) {
	// Prepared (one text per limit, and there is one limit): read once a
	// change, at every launch's commits.
	q := `SELECT seq, session_id FROM events WHERE seq > $1 AND kind <> 'audit' ORDER BY seq LIMIT ` + strconv.Itoa(limit)
	rows, err := d.preparedQuerier(ctx, q).QueryContext(ctx, q, seq)
	if err != nil {
		return nil, nil, seq, 0, err
	}
	defer rows.Close()
	var ids []string
	var seqs []int64
	n := 0
	at := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&seq, &id); err != nil {
			return nil, nil, seq, n, err
		}
		n++
		if id == "" {
			continue
		}
		if i, ok := at[id]; ok {
			seqs[i] = seq
			continue
		}
		at[id] = len(ids)
		ids = append(ids, id)
		seqs = append(seqs, seq)
	}
	return ids, seqs, seq, n, rows.Err()
}
