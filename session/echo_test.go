package session

import (
	"testing"
	"time"
)

// The store names a notification only when it is its own: from the
// backend it sent it from, with that id, in the order sent, once; a
// transaction's notifications of one session are one (PostgreSQL delivers
// identical ones once), named with the last event.
func TestEchoesNameOnlyTheStoresOwn(t *testing.T) {
	var e echoes
	named := func(sender uint32, id string) int64 {
		c := Change{IDs: []string{id}, Sender: sender}
		e.name(&c)
		return c.SeqOf(0)
	}
	if x := e.expect(1, []string{"a"}, []int64{5}); len(x.ids) != 0 {
		t.Fatal("expected while the feed does not listen")
	}
	e.listen(true)
	e.expect(1, []string{"a", "b", "a"}, []int64{5, 6, 7})
	e.expect(1, []string{"a"}, []int64{9})
	if got := named(2, "a"); got != 0 {
		t.Errorf("another backend's notification named %d", got)
	}
	for _, want := range []int64{7, 9, 0} {
		if got := named(1, "a"); got != want {
			t.Errorf("a: named %d, want %d", got, want)
		}
	}
	if got := named(1, "b"); got != 6 {
		t.Errorf("b: named %d, want 6", got)
	}

	x := e.expect(1, []string{"c"}, []int64{11})
	e.forget(x) // the commit failed, or may have
	if got := named(1, "c"); got != 0 {
		t.Errorf("a notification of a transaction that may not have committed named %d", got)
	}

	e.expect(1, []string{"d"}, []int64{12})
	e.name(&Change{Resync: true})
	if got := named(1, "d"); got != 0 {
		t.Errorf("named %d after a resync", got)
	}

	e.expect(1, []string{"f"}, []int64{13})
	e.mu.Lock()
	e.prune(time.Now().Add(echoWait + time.Second))
	e.mu.Unlock()
	if got := named(1, "f"); got != 0 {
		t.Errorf("named %d after echoWait", got)
	}

	e.expect(1, []string{"g"}, []int64{14})
	e.listen(false)
	if got := named(1, "g"); got != 0 {
		t.Errorf("named %d after the feed stopped listening", got)
	}
}
