package session

import (
	"sync"
	"time"
)

// A desk's result screen reads its session again at every change notice
// for it, and on PostgreSQL every write of a serve came back to the same
// serve twice: the desk's own notice, then the database's notification of
// it, each a read of what the screen already showed (a fifth of a burst's
// CPU, issue 18). A notice that says which event it is (Change.Seqs,
// Session.Seq) spares a screen that shows that event or a later one its
// read. The store's own notifications carry only the session's id (serves
// of an earlier release share the channel and read the payload as an id),
// so the store remembers what it sent, by the backend that sent it, and
// names the event when the notification comes back: a notification is
// this store's own only if it comes from that backend with that id, in
// the order they were sent. Anything else, or anything not matched within
// echoWait, goes on without a Seq, and screens read it as before.

// echoWait bounds how long a notification is expected back.
const echoWait = 5 * time.Second

type echoKey struct {
	sender uint32
	id     string
}

type echo struct {
	seq int64
	at  time.Time
}

// echoes are the notifications this store sent that its feed has not
// brought back yet.
type echoes struct {
	mu        sync.Mutex
	listening bool // the feed hears every notification (ready, no resync since)
	sent      map[echoKey][]echo
}

// expected is what one transaction sent (expect), for forget.
type expected struct {
	sender uint32
	ids    []string
}

// expect notes the notifications a transaction sent from backend sender
// for ids (their events seqs), before it commits; only while the feed
// hears every notification, else they might never come back.
func (e *echoes) expect(sender uint32, ids []string, seqs []int64) expected {
	if sender == 0 || len(ids) == 0 {
		return expected{}
	}
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.listening {
		return expected{}
	}
	if e.sent == nil {
		e.sent = map[echoKey][]echo{}
	}
	e.prune(now)
	// PostgreSQL delivers a transaction's identical notifications once:
	// one per id, its last event.
	last := make(map[string]int64, len(ids))
	var once []string
	for i, id := range ids {
		if _, ok := last[id]; !ok {
			once = append(once, id)
		}
		last[id] = max(last[id], seqs[i])
	}
	for _, id := range once {
		k := echoKey{sender, id}
		e.sent[k] = append(e.sent[k], echo{seq: last[id], at: now})
	}
	return expected{sender: sender, ids: once}
}

// forget drops what a transaction that did not commit, or may not have,
// expected: if it did commit, its notifications come back unnamed.
func (e *echoes) forget(x expected) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range x.ids {
		k := echoKey{x.sender, id}
		if q := e.sent[k]; len(q) > 0 {
			e.sent[k] = q[:len(q)-1]
			if len(e.sent[k]) == 0 {
				delete(e.sent, k)
			}
		}
	}
}

// name sets c.Seqs for the notifications in c that this store sent; a
// resync forgets every one (those sent meanwhile are lost).
func (e *echoes) name(c *Change) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.Resync {
		e.sent = nil
		return
	}
	if c.Sender == 0 || len(e.sent) == 0 {
		return
	}
	e.prune(time.Now())
	for i, id := range c.IDs {
		k := echoKey{c.Sender, id}
		q := e.sent[k]
		if len(q) == 0 {
			continue
		}
		if c.Seqs == nil {
			c.Seqs = make([]int64, len(c.IDs))
		}
		c.Seqs[i] = q[0].seq
		if len(q) == 1 {
			delete(e.sent, k)
		} else {
			e.sent[k] = q[1:]
		}
	}
}

// listen says whether the feed hears every notification now.
func (e *echoes) listen(on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.listening = on
	if !on {
		e.sent = nil
	}
}

// prune drops what was not back within echoWait; e.mu is held.
func (e *echoes) prune(now time.Time) {
	for k, q := range e.sent {
		for len(q) > 0 && now.Sub(q[0].at) > echoWait {
			q = q[1:]
		}
		if len(q) == 0 {
			delete(e.sent, k)
		} else {
			e.sent[k] = q
		}
	}
}
