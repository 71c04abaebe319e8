package desk

import (
	"sync"

	"github.com/kycdesk/kycdesk/session"
)

// changeBuffer is how many change notices wait in the channel a reader
// takes them from; more wait in the desk's pending set (pending).
const changeBuffer = 256

// maxPending bounds the distinct sessions owed to a slow reader: beyond
// it the reader is told to reload everything (an empty id) instead.
const maxPending = 1000

// pending is the changes a desk's reader has not taken yet, each session
// once, in order. Notices are never dropped (a dropped notice left a
// result screen waiting for a result already recorded, under load), and
// Notify never blocks: a receiver or a follower never waits for a screen.
type pending struct {
	mu     sync.Mutex
	ids    []string
	seqs   map[string]int64 // what each id's notices say of its last event (0: not known)
	resync bool
	wake   chan struct{}
	once   sync.Once
}

// Change is a change notice: session ID has new events, the last of them
// Seq as far as the notice knows (session.Session.Seq; 0: not known). A
// screen that shows event Seq or a later one has nothing to read. An
// empty ID says anything may have changed: reload what is shown.
type Change struct {
	ID  string
	Seq int64
}

// Changes is the desk's change feed: each session whose history changed
// (a launch, a status the desk asked, a callback the receiver recorded, a
// verify). The console reads it and redraws the result screen, home and
// the sessions list at once. One reader per desk.
func (d *Desk) Changes() <-chan Change { return d.changes }

// Changed announces that session id changed, not saying to which event.
// The desk calls it for what it records itself; it reaches this desk's
// feed and, through Announce, the other desks of a server at once. What
// other processes record comes from the store's change feed (history.go,
// Notify). It never blocks.
func (d *Desk) Changed(id string) { d.ChangedTo(id, 0) }

// ChangedTo is Changed for a change the desk recorded as event seq
// (session.Session.Seq of the session the store returned).
func (d *Desk) ChangedTo(id string, seq int64) {
	if h := hubOf(d.o.Store); h != nil {
		h.bump() // the shared lists are read again
	}
	d.NotifyTo(id, seq)
	if d.o.Announce != nil {
		d.o.Announce(id, seq)
	}
}

// Notify puts id on this desk's feed only, not saying to which event:
// what another desk of the same process recorded (a served desk's
// fan-out, Options.Announce), or what the store's change feed reports.
func (d *Desk) Notify(id string) { d.NotifyTo(id, 0) }

// NotifyTo is Notify for a change to event seq (0: not known).
func (d *Desk) NotifyTo(id string, seq int64) {
	p := &d.pending
	p.once.Do(func() {
		p.wake = make(chan struct{}, 1)
		p.seqs = map[string]int64{}
		go d.deliver()
	})
	p.mu.Lock()
	if !p.resync && len(p.ids) == 0 {
		// Nothing owed: straight onto the channel while it has room.
		select {
		case d.changes <- Change{ID: id, Seq: seq}:
			p.mu.Unlock()
			return
		default:
		}
	}
	switch {
	case p.resync:
	case id == "" || len(p.ids) >= maxPending:
		p.resync, p.ids, p.seqs = true, nil, map[string]int64{}
	default:
		if had, ok := p.seqs[id]; ok {
			p.seqs[id] = session.LaterSeq(had, seq)
		} else {
			p.seqs[id] = seq
			p.ids = append(p.ids, id)
		}
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// deliver hands the pending changes to Changes' reader, waiting for it,
// until the desk closes.
func (d *Desk) deliver() {
	p := &d.pending
	for {
		select {
		case <-p.wake:
		case <-d.closed:
			return
		}
		p.mu.Lock()
		ids, seqs, resync := p.ids, p.seqs, p.resync
		p.ids, p.resync, p.seqs = nil, false, map[string]int64{}
		p.mu.Unlock()
		if resync {
			ids = []string{""}
		}
		for _, id := range ids {
			select {
			case d.changes <- Change{ID: id, Seq: seqs[id]}:
			case <-d.closed:
				return
			}
		}
	}
}

// Close stops the desk's background follower and ends Closed: a reader
// of Changes (the console's listener) stops waiting. A served desk closes
// it when its SSH session ends.
func (d *Desk) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stop != nil {
		d.stop()
	}
	select {
	case <-d.closed:
	default:
		close(d.closed)
	}
}

// Closed is closed once the desk is.
func (d *Desk) Closed() <-chan struct{} { return d.closed }
