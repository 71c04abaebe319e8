package providers

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestSimTableSweepDropsInTimeOrder(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	tb := NewSimTable[int](3)
	for i, k := range []string{"c", "a", "b"} {
		if !tb.Put(k, i, t0.Add(time.Duration(3-i)*time.Second)) { // c at +3s, a at +2s, b at +1s
			t.Fatalf("Put %s refused", k)
		}
	}
	if !tb.Full() || tb.Put("d", 9, t0.Add(time.Hour)) {
		t.Fatalf("a full table took a new key")
	}
	for _, c := range []struct {
		at   time.Duration
		want string // the keys left
	}{{time.Second - 1, "abc"}, {time.Second, "ac"}, {2 * time.Second, "c"}} {
		tb.Sweep(t0.Add(c.at))
		if got := simKeys(tb, "abc"); got != c.want {
			t.Fatalf("swept at +%v: %q left, want %q", c.at, got, c.want)
		}
	}
	if v, ok := tb.Get("c"); !ok || v != 0 {
		t.Errorf("c = %d, %v", v, ok)
	}
	if !tb.Put("d", 9, t0.Add(time.Hour)) {
		t.Errorf("Put refused after a sweep made room")
	}
}

// simKeys is which of the one-letter keys in candidates tb holds, in
// candidates' order.
func simKeys[V any](tb *SimTable[V], candidates string) string {
	var b strings.Builder
	for _, k := range candidates {
		if _, ok := tb.Get(string(k)); ok {
			b.WriteRune(k)
		}
	}
	return b.String()
}

// Random Puts, Keeps, Deletes and Sweeps against a plain map of keep-until
// times: a sweep drops exactly the entries due, whatever the order of
// operations, and the queue stays a heap.
func TestSimTableAgainstAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Unix(2_000_000, 0)
	tb := NewSimTable[int](500)
	want := map[string]time.Time{}
	now := t0
	for step := range 20000 {
		key := fmt.Sprint("k", rng.IntN(800))
		at := now.Add(time.Duration(rng.IntN(100000)) * time.Second)
		switch op := rng.IntN(10); {
		case op < 5:
			_, exists := want[key]
			if tb.Put(key, step, at) {
				want[key] = at
			} else if exists || len(want) < 500 {
				t.Fatalf("step %d: Put refused with %d entries (key there: %v)", step, len(want), exists)
			}
		case op < 7:
			tb.Keep(key, at)
			if _, ok := want[key]; ok {
				want[key] = at
			}
		case op < 8:
			tb.Delete(key)
			delete(want, key)
		default:
			now = now.Add(time.Duration(rng.IntN(2000)) * time.Second)
			tb.Sweep(now)
			for k, u := range want {
				if !u.After(now) {
					delete(want, k)
				}
			}
		}
		if tb.Len() != len(want) {
			t.Fatalf("step %d: table %d, want %d", step, tb.Len(), len(want))
		}
		checkSimQueue(t, step, tb)
		for k, u := range want {
			if e := tb.entries[k]; e.until != u.UnixNano() {
				t.Fatalf("step %d: %s until %d, want %v", step, k, e.until, u)
			}
		}
	}
}

// checkSimQueue fails unless tb's queue is a heap, holds an item of each
// entry's time, and is within its bound of stale items.
func checkSimQueue[V any](t *testing.T, step int, tb *SimTable[V]) {
	t.Helper()
	if len(tb.queue) > 2*tb.Len()+simQueueSlack {
		t.Fatalf("step %d: %d items in the queue for %d entries", step, len(tb.queue), tb.Len())
	}
	live := map[string]bool{}
	for i, q := range tb.queue {
		if i > 0 && tb.queue[(i-1)/2].until > q.until {
			t.Fatalf("step %d: the queue is not a heap at %d", step, i)
		}
		if e, ok := tb.entries[q.key]; ok && e.until == q.until {
			live[q.key] = true
		}
	}
	if len(live) != tb.Len() {
		t.Fatalf("step %d: %d entries have an item of their time in the queue, want all %d", step, len(live), tb.Len())
	}
}

// A key kept again and again, and keys put and deleted, leave stale items
// in the queue; it is rebuilt before they outnumber the live ones, and a
// sweep still drops each entry at its latest time only.
func TestSimTableStaleItemsAreBounded(t *testing.T) {
	t0 := time.Unix(4_000_000, 0)
	tb := NewSimTable[int](10)
	tb.Put("kept", 1, t0.Add(time.Second))
	for i := range 10000 {
		tb.Keep("kept", t0.Add(time.Duration(i+2)*time.Second))
		k := fmt.Sprint("gone", i%7)
		tb.Put(k, i, t0.Add(time.Duration(i)*time.Millisecond))
		tb.Delete(k)
		checkSimQueue(t, i, tb)
	}
	tb.Sweep(t0.Add(10000 * time.Second))
	if _, ok := tb.Get("kept"); !ok || tb.Len() != 1 {
		t.Fatalf("swept before its latest time: kept there %v, %d left", ok, tb.Len())
	}
	tb.Sweep(t0.Add(10001 * time.Second))
	if _, ok := tb.Get("kept"); ok || tb.Len() != 0 {
		t.Fatalf("not swept at its latest time: kept there %v, %d left", ok, tb.Len())
	}
}

// A table reserved while it holds entries keeps them, in their order of
// times, and works as before.
func TestSimTableReserve(t *testing.T) {
	t0 := time.Unix(3_000_000, 0)
	tb := NewSimTable[int](5)
	for i, k := range []string{"c", "a", "b"} {
		tb.Put(k, i, t0.Add(time.Duration(3-i)*time.Second)) // c at +3s, a at +2s, b at +1s
	}
	if n := tb.Reserve(); n != 5 {
		t.Errorf("Reserve = %d, want the cap 5", n)
	}
	tb.Reserve() // again: nothing changes
	for i, k := range []string{"e", "d"} {
		if !tb.Put(k, 10+i, t0.Add(time.Duration(5-i)*time.Second)) { // e at +5s, d at +4s
			t.Fatalf("Put %s refused", k)
		}
	}
	if tb.Len() != 5 || tb.Put("f", 9, t0.Add(time.Hour)) {
		t.Fatalf("%d entries; a full table took a new key", tb.Len())
	}
	if v, ok := tb.Get("a"); !ok || v != 1 {
		t.Errorf("a = %d, %v", v, ok)
	}
	for _, c := range []struct {
		at   time.Duration
		want string // the keys left
	}{{time.Second, "acde"}, {2 * time.Second, "cde"}, {3 * time.Second, "de"}, {4 * time.Second, "e"}} {
		tb.Sweep(t0.Add(c.at))
		if got := simKeys(tb, "abcde"); got != c.want {
			t.Errorf("swept at +%v: %q left, want %q", c.at, got, c.want)
		}
	}
	if n := NewSimTable[int](1 << 30).Reserve(); n != DefaultSimCapacity {
		t.Errorf("Reserve of a huge cap = %d, want DefaultSimCapacity", n)
	}
}
