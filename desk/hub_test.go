package desk

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// One read per generation for every desk that asks at once; a change
// (bump) makes the next ask read again; a failed read is not kept.
func TestHubSharesOneReadPerChange(t *testing.T) {
	h := &hub{desks: map[*Desk]struct{}{}, reads: map[string]*sharedRead{}, listening: make(chan struct{}),
		keep: time.Hour} // no expiry within the test, however slow the machine
	var reads atomic.Int32
	gate := make(chan struct{})
	load := func() (any, error) {
		reads.Add(1)
		<-gate
		return 42, nil
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := h.shared("recent", load); err != nil || v.(int) != 42 {
				t.Errorf("got %v, %v", v, err)
			}
		}()
	}
	for reads.Load() == 0 {
		// the first desk is reading; the others queue behind it
		runtimeGosched()
	}
	close(gate)
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Errorf("50 desks at once: %d reads, want 1", n)
	}
	h.shared("recent", load)
	if n := reads.Load(); n != 1 {
		t.Errorf("no change since: %d reads, want 1", n)
	}
	h.bump()
	h.shared("recent", load)
	if n := reads.Load(); n != 2 {
		t.Errorf("after a change: %d reads, want 2", n)
	}
	fails := 0
	failing := func() (any, error) { fails++; return nil, errTest }
	h.shared("bad", failing)
	h.shared("bad", failing)
	if fails != 2 {
		t.Errorf("a failed read was kept: %d reads, want 2", fails)
	}
}

// A desk's reader that is slow loses no change: every id reaches it once,
// however many come while it is away.
func TestNotifyKeepsEveryChange(t *testing.T) {
	d := &Desk{changes: make(chan string, 2), closed: make(chan struct{})}
	defer close(d.closed)
	for i := range 300 {
		d.Notify(string(rune('a' + i%26)))
	}
	got := map[string]bool{}
	for len(got) < 26 {
		got[<-d.changes] = true
	}
	d.Notify("z")
	d.Notify("y")
	for {
		if id := <-d.changes; id == "y" {
			break
		}
	}
	// Many distinct ids while nobody reads: none is lost. Past maxPending
	// owed at once they become a resync ("": reload everything); how many
	// are owed at once depends on when the deliverer takes a batch, so
	// either every id arrives or a resync does.
	want := map[string]bool{}
	for i := range maxPending + 10 {
		id := string(rune(0x4e00 + i))
		want[id] = true
		d.Notify(id)
	}
	for len(want) > 0 {
		id := <-d.changes
		if id == "" {
			break // a resync covers the rest
		}
		delete(want, id)
	}
}

var errTest = errorString("store down")

type errorString string

func (e errorString) Error() string { return string(e) }

func runtimeGosched() { runtime.Gosched() }
