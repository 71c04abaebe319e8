package desk

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycdesk/kycdesk/session"
)

// hub is the change fan-out of one store in this process: one
// subscription to the store's change feed for every desk (not one each),
// and the lists desks show, read once per change and shared. Without it
// each change reached each desk through its own subscription and each
// desk showing a list read it again: the work grew with desks × changes
// (issue 18).
type hub struct {
	store session.Store
	// gen counts the changes heard: a shared read is good for the
	// generation it started in.
	gen atomic.Uint64

	mu    sync.Mutex
	desks map[*Desk]struct{}
	reads map[string]*sharedRead
	// keep is how long a read is kept with no change heard (0: sharedFor).
	keep time.Duration
	// listening is closed once the feed is listened to (or could not be).
	listening chan struct{}
	started   bool
}

// sharedRead is one read of a list, done by the first desk that asks in
// its generation; the others wait for it.
type sharedRead struct {
	gen  uint64
	at   time.Time
	done chan struct{}
	v    any
	err  error
}

// sharedFor bounds how long a shared read is kept even with no change
// heard (what depends on the clock: expiries, "unknown" outcomes).
const sharedFor = time.Second

var hubs sync.Map // session.Store → *hub

func hubOf(st session.Store) *hub {
	if st == nil || !reflect.TypeOf(st).Comparable() {
		return nil // a store that cannot be a key (a test's value type): each desk on its own
	}
	if h, ok := hubs.Load(st); ok {
		return h.(*hub)
	}
	h, _ := hubs.LoadOrStore(st, &hub{store: st, desks: map[*Desk]struct{}{}, reads: map[string]*sharedRead{},
		listening: make(chan struct{})})
	return h.(*hub)
}

// join puts d on the hub's fan-out until ctx ends, starting the hub's one
// subscription with its first desk; d.subscribed closes once the feed is
// listened to.
func (h *hub) join(ctx context.Context, d *Desk) {
	h.mu.Lock()
	h.desks[d] = struct{}{}
	start := !h.started
	h.started = true
	h.mu.Unlock()
	if start {
		go h.run()
	}
	go func() {
		select {
		case <-h.listening:
		case <-ctx.Done():
		}
		d.subscribedOnce.Do(func() { close(d.subscribed) })
		<-ctx.Done()
		h.mu.Lock()
		delete(h.desks, d)
		h.mu.Unlock()
	}()
}

// run hears the store's feed for the life of the store (the feed ends
// when the store closes) and hands each change to every desk.
func (h *hub) run() {
	ch, err := h.store.Subscribe(context.Background())
	close(h.listening)
	if err != nil {
		h.forget()
		return
	}
	for c := range ch {
		h.bump()
		h.mu.Lock()
		desks := make([]*Desk, 0, len(h.desks))
		for d := range h.desks {
			desks = append(desks, d)
		}
		h.mu.Unlock()
		for _, d := range desks {
			// This process's feed only: nothing is announced again
			// (Changed). A resync (the feed reconnected) is an empty
			// id: every list reloads.
			if c.Resync {
				d.Notify("")
				continue
			}
			for i, id := range c.IDs {
				d.NotifyTo(id, c.SeqOf(i))
			}
		}
	}
	h.forget()
}

// forget drops the hub of a closed store: a store opened again (another
// value) gets its own.
func (h *hub) forget() {
	hubs.CompareAndDelete(h.store, h)
	h.mu.Lock()
	h.started = false
	h.reads = map[string]*sharedRead{}
	h.mu.Unlock()
}

// bump starts a new generation: what was read before may be stale.
func (h *hub) bump() { h.gen.Add(1) }

// shared returns what load reads for key, read once per generation (and
// at most sharedFor ago) for every desk that asks; a failed read is not
// kept.
func (h *hub) shared(key string, load func() (any, error)) (any, error) {
	g := h.gen.Load()
	now := time.Now()
	h.mu.Lock()
	r := h.reads[key]
	keep := h.keep
	if keep == 0 {
		keep = sharedFor
	}
	if r != nil && r.gen == g && now.Sub(r.at) < keep {
		h.mu.Unlock()
		<-r.done
		if r.err == nil {
			return r.v, nil
		}
		return load()
	}
	r = &sharedRead{gen: g, at: now, done: make(chan struct{})}
	if len(h.reads) > 64 {
		h.reads = map[string]*sharedRead{} // keys are few (modes × page sizes); bound them anyway
	}
	h.reads[key] = r
	h.mu.Unlock()
	r.v, r.err = load()
	close(r.done)
	if r.err != nil {
		h.mu.Lock()
		if h.reads[key] == r {
			delete(h.reads, key)
		}
		h.mu.Unlock()
	}
	return r.v, r.err
}
