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
//
// The entries are values in the map, not objects of their own, and the
// queue of times names them by key: a session stored is a map insert and
// a queue push, with nothing allocated beyond what the caller stores and
// no index of the queue to keep up. (Measured, the table's shape hardly
// matters to the sandbox's tokens: what costs is keeping the sessions at
// all; see the README's performance notes, issue 18.) A time that changes
// (Keep, or Put of a key already there) is pushed again rather than moved:
// the old item goes stale, and Sweep skips an item whose key is gone or
// now has another time.
type SimTable[V any] struct {
	max      int
	entries  map[string]simEntry[V]
	queue    simQueue
	reserved bool
}

type simEntry[V any] struct {
	val   V
	until int64 // Unix nanoseconds; the queue holds an item of this time for the key
}

// NewSimTable makes a table of at most max entries (DefaultSimCapacity
// when max <= 0).
func NewSimTable[V any](max int) *SimTable[V] {
	if max <= 0 {
		max = DefaultSimCapacity
	}
	return &SimTable[V]{max: max, entries: map[string]simEntry[V]{}}
}

// Reserve gives the table room for its cap (at most DefaultSimCapacity)
// at once, moving what it holds, and returns that room. A table that
// grows to thousands of entries moves each of them about twice on the way
// (with the iDenfy simulator's former token index, about a microsecond of
// a token's CPU in a sandbox that kept 18,500 sessions); reserved, it no longer does, for the price of the room (under
// a MB for the default cap): a simulator reserves once it is busy, not for
// a handful of sessions. Reserving again does nothing.
func (t *SimTable[V]) Reserve() int {
	n := min(t.max, DefaultSimCapacity)
	if t.reserved {
		return n
	}
	t.reserved = true
	entries := make(map[string]simEntry[V], n)
	for k, e := range t.entries {
		entries[k] = e
	}
	t.entries = entries
	t.queue = append(make(simQueue, 0, n), t.queue...) // a heap still: the same order
	return n
}

// Get returns the entry for key.
func (t *SimTable[V]) Get(key string) (V, bool) {
	e, ok := t.entries[key]
	return e.val, ok
}

// Put stores v under key until the given time; an existing key is
// replaced. It reports false, storing nothing, when the table is full of
// entries still to be kept (call Sweep first).
func (t *SimTable[V]) Put(key string, v V, until time.Time) bool {
	u := until.UnixNano()
	if e, ok := t.entries[key]; ok {
		t.entries[key] = simEntry[V]{v, u}
		if e.until != u {
			t.push(key, u)
		}
		return true
	}
	if len(t.entries) >= t.max {
		return false
	}
	t.entries[key] = simEntry[V]{v, u}
	t.push(key, u)
	return true
}

// Keep moves key's keep-until time (a session that reached a result is
// kept longer than one still waiting).
func (t *SimTable[V]) Keep(key string, until time.Time) {
	e, ok := t.entries[key]
	if u := until.UnixNano(); ok && e.until != u {
		e.until = u
		t.entries[key] = e
		t.push(key, u)
	}
}

// Delete removes key. Its item in the queue goes stale.
func (t *SimTable[V]) Delete(key string) {
	delete(t.entries, key)
	t.compact()
}

// Sweep drops every entry whose keep-until time is not after now.
func (t *SimTable[V]) Sweep(now time.Time) {
	n := now.UnixNano()
	for len(t.queue) > 0 && t.queue[0].until <= n {
		it := t.queue.pop()
		if e, ok := t.entries[it.key]; ok && e.until == it.until {
			delete(t.entries, it.key)
		} // else stale: deleted, or its time moved (pushed again)
	}
}

// Len is the number of entries.
func (t *SimTable[V]) Len() int { return len(t.entries) }

// Full reports whether Put would refuse a new key.
func (t *SimTable[V]) Full() bool { return len(t.entries) >= t.max }

// push queues key's time.
func (t *SimTable[V]) push(key string, until int64) {
	t.queue.push(simItem{until, key})
	t.compact()
}

// compact rebuilds the queue from the entries when stale items outnumber
// live ones (keys deleted, or kept again and again before their time), so
// that it stays within about twice the table's size whatever the callers
// do; each rebuild is paid for by the pushes and deletes that made it due.
func (t *SimTable[V]) compact() {
	if len(t.queue) <= 2*len(t.entries)+simQueueSlack {
		return
	}
	q := t.queue[:0]
	for k, e := range t.entries {
		q = append(q, simItem{e.until, k})
	}
	clear(t.queue[len(q):]) // no stale key kept alive by the array
	t.queue = q
	t.queue.heapify()
}

// simQueueSlack is how many stale items a small table's queue may hold
// before it is rebuilt.
const simQueueSlack = 64

// simQueue is a min-heap of keys by keep-until time, written out rather
// than through container/heap, whose interface calls were most of a
// sweep's cost (every session is pushed once and popped once). The times
// are in the queue itself, so comparing them reads the queue only.
type simQueue []simItem

type simItem struct {
	until int64 // Unix nanoseconds
	key   string
}

func (q simQueue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if q[p].until <= q[i].until {
			return
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

func (q simQueue) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(q) {
			return
		}
		m := l
		if r := l + 1; r < len(q) && q[r].until < q[l].until {
			m = r
		}
		if q[i].until <= q[m].until {
			return
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
}

func (q *simQueue) push(it simItem) {
	*q = append(*q, it)
	q.up(len(*q) - 1)
}

// pop takes out the earliest item.
func (q *simQueue) pop() simItem {
	old := *q
	n := len(old) - 1
	it := old[0]
	old[0] = old[n]
	old[n] = simItem{} // no key kept alive by the array
	*q = old[:n]
	q.down(0)
	return it
}

func (q simQueue) heapify() {
	for i := len(q)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}
