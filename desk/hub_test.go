package desk

import (
	"runtime"
	"slices"
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
	d := &Desk{changes: make(chan Change, 2), closed: make(chan struct{})}
	defer close(d.closed)
	for i := range 300 {
		d.Notify(string(rune('a' + i%26)))
	}
	got := map[string]bool{}
	for len(got) < 26 {
		got[(<-d.changes).ID] = true
	}
	d.Notify("z")
	d.Notify("y")
	for {
		if c := <-d.changes; c.ID == "y" {
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
		c := <-d.changes
		if c.ID == "" {
			break // a resync covers the rest
		}
		delete(want, c.ID)
	}
}

var errTest = errorString("store down")

type errorString string

func (e errorString) Error() string { return string(e) }

func runtimeGosched() { runtime.Gosched() }

// Notices of one session waiting together say its latest event when each
// says one, and that it is not known when any does not: a screen reads
// unless every notice says it has nothing new. The deliverer may take a
// batch between two notices (on a busy machine it does): then they do not
// wait together and arrive apart, none lost, the latest among them.
func TestNotifyKeepsTheLatestEvent(t *testing.T) {
	d := &Desk{changes: make(chan Change, 1), closed: make(chan struct{})}
	defer close(d.closed)
	d.NotifyTo("first", 1) // fills the channel: the rest wait
	d.NotifyTo("a", 5)
	d.NotifyTo("a", 7)
	d.NotifyTo("a", 6)
	d.NotifyTo("b", 3)
	d.Notify("b")
	d.NotifyTo("b", 9)
	got := map[string][]int64{}
	// done: each session's notices say its latest event (a: 7; b: 9, or
	// "not known" once the 0 was merged or came on its own).
	done := func() bool {
		return slices.Contains(got["first"], 1) && slices.Contains(got["a"], 7) &&
			(slices.Contains(got["b"], 0) || slices.Contains(got["b"], 9))
	}
	deadline := time.After(time.Minute) // only so that a lost notice fails instead of hanging
	for !done() {
		select {
		case c := <-d.changes:
			got[c.ID] = append(got[c.ID], c.Seq)
		case <-deadline:
			t.Fatalf("notices lost: got %v", got)
		}
	}
	// What waited together was merged: one notice each says the merge.
	if a := got["a"]; len(a) == 1 && a[0] != 7 {
		t.Errorf("a's notices waiting together said %v, want 7", a)
	}
	if b := got["b"]; len(b) == 1 && b[0] != 0 {
		t.Errorf("b's notices waiting together said %v, want 0 (one of them named no event)", b)
	}
	for id, seqs := range got {
		if len(seqs) > 3 {
			t.Errorf("%s: %d notices for three changes: %v", id, len(seqs), seqs)
		}
	}
}
