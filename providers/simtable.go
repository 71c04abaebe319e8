package providers

import "time"

// DefaultSimCapacity is how many sessions a simulator keeps at once. A
// sandbox session is a few hundred bytes, so a full table is a few MB.
const DefaultSimCapacity = 20000

// SimTable holds a simulator's sessions: lookups by key are O(1), each
// entry is dropped once its keep-until time has passed (Sweep, amortised
// O(log n) per entry), and Put refuses a new key when the table is full, so
// a sandbox on a LAN cannot be made to grow without bound. It is not safe
// for concurrent use: simulators call it under their own lock.
type SimTable[V any] struct {
	max      int
	entries  map[string]*simEntry[V]
	queue    simQueue[V]
	dropped  func(key string, v V)
	reserved bool
}

type simEntry[V any] struct {
	key   string
	val   V
	index int // its place in the queue, which holds its keep-until time
}

// NewSimTable makes a table of at most max entries (DefaultSimCapacity
// when max <= 0).
func NewSimTable[V any](max int) *SimTable[V] {
	if max <= 0 {
		max = DefaultSimCapacity
	}
	return &SimTable[V]{max: max, entries: map[string]*simEntry[V]{}}
}

// Reserve gives the table room for its cap (at most DefaultSimCapacity)
// at once, moving what it holds, and returns that room. A table that
// grows to thousands of entries moves each of them about twice on the way
// (with the iDenfy simulator's token index, about a microsecond of a
// token's CPU in a sandbox that keeps 18,500 sessions); reserved, it no
// longer does, for the price of the room (under a MB for the default
// cap): a simulator reserves once it is busy, not for a handful of
// sessions. Reserving again does nothing.
func (t *SimTable[V]) Reserve() int {
	n := min(t.max, DefaultSimCapacity)
	if t.reserved {
		return n
	}
	t.reserved = true
	entries := make(map[string]*simEntry[V], n)
	for k, e := range t.entries {
		entries[k] = e
	}
	t.entries = entries
	t.queue = append(make(simQueue[V], 0, n), t.queue...) // the same places: each entry's index holds
	return n
}

// OnDrop has Sweep call f for each entry it drops, so that a simulator
// can keep a second index of the same entries (a plain map) without a
// second queue of the same times.
func (t *SimTable[V]) OnDrop(f func(key string, v V)) { t.dropped = f }

// Get returns the entry for key.
func (t *SimTable[V]) Get(key string) (V, bool) {
	if e, ok := t.entries[key]; ok {
		return e.val, true
	}
	var zero V
	return zero, false
}

// Put stores v under key until the given time; an existing key is
// replaced. It reports false, storing nothing, when the table is full of
// entries still to be kept (call Sweep first).
func (t *SimTable[V]) Put(key string, v V, until time.Time) bool {
	if e, ok := t.entries[key]; ok {
		e.val = v
		t.queue[e.index].until = until.UnixNano()
		t.queue.fix(e.index)
		return true
	}
	if len(t.entries) >= t.max {
		return false
	}
	e := &simEntry[V]{key: key, val: v}
	t.entries[key] = e
	t.queue.push(e, until.UnixNano())
	return true
}

// Keep moves key's keep-until time (a session that reached a result is
// kept longer than one still waiting).
func (t *SimTable[V]) Keep(key string, until time.Time) {
	if e, ok := t.entries[key]; ok {
		t.queue[e.index].until = until.UnixNano()
		t.queue.fix(e.index)
	}
}

// Delete removes key.
func (t *SimTable[V]) Delete(key string) {
	if e, ok := t.entries[key]; ok {
		t.queue.remove(e.index)
		delete(t.entries, key)
	}
}

// Sweep drops every entry whose keep-until time is not after now.
func (t *SimTable[V]) Sweep(now time.Time) {
	n := now.UnixNano()
	for len(t.queue) > 0 && t.queue[0].until <= n {
		e := t.queue.remove(0)
		delete(t.entries, e.key)
		if t.dropped != nil {
			t.dropped(e.key, e.val)
		}
	}
}

// Len is the number of entries.
func (t *SimTable[V]) Len() int { return len(t.entries) }

// Full reports whether Put would refuse a new key.
func (t *SimTable[V]) Full() bool { return len(t.entries) >= t.max }

// simQueue is a min-heap by keep-until time, written out rather than
// through container/heap, whose interface calls were most of a sweep's
// cost (every session is pushed once and popped once). The times are in
// the queue itself: comparing them reads the queue, not the entries
// scattered over the heap (each a cache miss, once per token).
type simQueue[V any] []simSlot[V]

type simSlot[V any] struct {
	until int64 // Unix nanoseconds
	e     *simEntry[V]
}

func (q simQueue[V]) swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].e.index, q[j].e.index = i, j
}

func (q simQueue[V]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if q[p].until <= q[i].until {
			return
		}
		q.swap(i, p)
		i = p
	}
}

// down sifts i down; it reports whether it moved.
func (q simQueue[V]) down(i int) bool {
	i0 := i
	for {
		l := 2*i + 1
		if l >= len(q) {
			break
		}
		m := l
		if r := l + 1; r < len(q) && q[r].until < q[l].until {
			m = r
		}
		if q[i].until <= q[m].until {
			break
		}
		q.swap(i, m)
		i = m
	}
	return i > i0
}

func (q *simQueue[V]) push(e *simEntry[V], until int64) {
	e.index = len(*q)
	*q = append(*q, simSlot[V]{until, e})
	q.up(e.index)
}

// remove takes out the entry at i and returns it.
func (q *simQueue[V]) remove(i int) *simEntry[V] {
	old := *q
	n := len(old) - 1
	e := old[i].e
	if i != n {
		old.swap(i, n)
	}
	old[n] = simSlot[V]{}
	*q = old[:n]
	if i != n && !q.down(i) {
		q.up(i)
	}
	return e
}

func (q simQueue[V]) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}
