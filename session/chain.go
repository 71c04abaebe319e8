package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
)

// The history is a chain: every event carries a MAC under the store key
// over its content and the MAC of the event before it (in seq order, the
// order the chain's lock gives every writer). Without the key, which
// lives outside the store, an event cannot be edited, inserted or deleted
// without breaking the chain at that point, and Verify names it. The
// sessions table is a fold of the events: Verify folds them again and
// names a session whose row says something its events do not, one whose
// events remain without it (removed) or one without events (inserted).

// chainedEvent is an event's columns as its MAC covers them.
type chainedEvent struct {
	Seq      int64
	Session  string
	Kind     string
	At       int64
	Operator string
	Desk     string
	Data     string
}

// mac is the event's MAC after prev (hex; "" for the first event).
func (e *chainedEvent) mac(key []byte, prev string) string {
	m := hmac.New(sha256.New, key)
	e.write(m, prev)
	return hex.EncodeToString(m.Sum(nil))
}

// write feeds the MAC: every field length-prefixed, so that no two
// events give the same bytes.
func (e *chainedEvent) write(m hash.Hash, prev string) {
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	field("kycdesk event v1")
	field(prev)
	field(e.Session)
	field(e.Kind)
	binary.BigEndian.PutUint64(n[:], uint64(e.At))
	m.Write(n[:])
	field(e.Operator)
	field(e.Desk)
	field(e.Data)
}

// chainLock orders every writer of the chain (PostgreSQL; SQLite writers
// are serialised already). It is the last lock a transaction takes, so it
// cannot be part of a deadlock.
const chainLock = "kycdesk event chain"

// chainHead is the MAC the next event of tx follows: the newest event's,
// read once per transaction under the chain's lock.
func (d *DB) chainHead(ctx context.Context, tx *wtx) (string, error) {
	if tx.chained {
		return tx.head, nil
	}
	if err := d.lock(ctx, tx, chainLock); err != nil {
		return "", err
	}
	tx.chainHeld = true
	var mac string
	err := tx.row(sqlChainHead).Scan(&mac)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	tx.head, tx.chained = mac, true
	return mac, nil
}

// sealUnchained gives every event written before the chain existed (a
// store made by an earlier release) its MAC, in seq order, in the
// migration's transaction: from then on they are part of the chain. What
// was changed before cannot be detected; the store says so once, and
// Verify reports how many events were sealed this way.
func (d *DB) sealUnchained(ctx context.Context, tx *wtx) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, session_id, kind, at, operator, desk, data, mac FROM events ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	type sealed struct {
		seq int64
		mac string
	}
	var todo []sealed
	prev := ""
	for rows.Next() {
		var e chainedEvent
		var mac string
		if err := rows.Scan(&e.Seq, &e.Session, &e.Kind, &e.At, &e.Operator, &e.Desk, &e.Data, &mac); err != nil {
			rows.Close()
			return 0, err
		}
		if mac == "" || len(todo) > 0 {
			mac = e.mac(d.key, prev)
			todo = append(todo, sealed{e.Seq, mac})
		}
		prev = mac
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(todo) == 0 {
		return 0, nil
	}
	for _, q := range d.dialect.AppendOnlyOff {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	for _, s := range todo {
		if _, err := tx.ExecContext(ctx, `UPDATE events SET mac = $1 WHERE seq = $2`, s.mac, s.seq); err != nil {
			return 0, err
		}
	}
	for _, q := range d.dialect.AppendOnlyOn {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	note := chainNote{Sealed: len(todo), LastSealed: todo[len(todo)-1].seq, At: time.Now().UTC()}
	b, _ := json.Marshal(note)
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES ('chain_sealed', $1)`, string(b)); err != nil {
		return 0, err
	}
	return len(todo), nil
}

// chainNote is what the store remembers of sealing its earlier events.
type chainNote struct {
	Sealed     int       `json:"sealed"`
	LastSealed int64     `json:"lastSealed"`
	At         time.Time `json:"at"`
}

// ChainReport is what Verify found.
type ChainReport struct {
	Events   int // events checked
	Sessions int // sessions checked against their events
	// Sealed is how many events an earlier release wrote before the chain
	// existed; they were sealed into it when the store was migrated
	// (SealedAt): a change made to them before then cannot be detected.
	Sealed   int
	SealedAt time.Time
	// Head is the newest event checked and its MAC: written down
	// elsewhere (a log, a ticket), it lets a later Verify tell that no
	// event up to it was removed from the end.
	HeadSeq int64
	HeadMAC string
	// Broken is the first problem found, or nil: the chain is intact.
	Broken *ChainBreak
}

// ChainBreak is the first broken link: the event (or session) and what
// is wrong with it.
type ChainBreak struct {
	Seq     int64  // the event's seq; 0 for a session-level problem
	Session string // the session concerned ("" for an entry about none)
	What    string
}

func (b *ChainBreak) String() string {
	var where []string
	if b.Session != "" {
		where = append(where, "session "+b.Session)
	}
	if b.Seq != 0 {
		where = append(where, fmt.Sprintf("event %d", b.Seq))
	}
	return strings.Join(where, ", ") + ": " + b.What
}

// Verify checks the whole history with the store key: the chain of every
// event in seq order, then every session against a fold of its events.
// It streams (constant memory) and stops at the first problem. Events
// written while it runs (after the newest one it saw at the start) are
// left for the next run.
func (d *DB) Verify(ctx context.Context) (*ChainReport, error) {
	r := &ChainReport{}
	var note string
	err := d.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = 'chain_sealed'`).Scan(&note)
	if err == nil {
		var n chainNote
		if json.Unmarshal([]byte(note), &n) == nil {
			r.Sealed, r.SealedAt = n.Sealed, n.At
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, d.failed(err)
	}
	var top sql.NullInt64
	if err := d.db.QueryRowContext(ctx, `SELECT max(seq) FROM events`).Scan(&top); err != nil {
		return nil, d.failed(err)
	}
	if !top.Valid {
		return r, d.verifySessions(ctx, r, 0)
	}
	if err := d.verifyChain(ctx, r, top.Int64); err != nil || r.Broken != nil {
		return r, err
	}
	return r, d.verifySessions(ctx, r, top.Int64)
}

// verifyChain walks the events up to top in seq order.
func (d *DB) verifyChain(ctx context.Context, r *ChainReport, top int64) error {
	rows, err := d.db.QueryContext(ctx, `SELECT seq, session_id, kind, at, operator, desk, data, mac FROM events WHERE seq <= $1 ORDER BY seq`, top)
	if err != nil {
		return d.failed(err)
	}
	defer rows.Close()
	var (
		prev, prevPrev string // the MACs of the last two events
		prevSeq        int64  // the last good event's seq
		suspect        *chainedEvent
		suspectMAC     string
	)
	m := hmac.New(sha256.New, d.key)
	sum := func(e *chainedEvent, after string) string {
		m.Reset()
		e.write(m, after)
		return hex.EncodeToString(m.Sum(nil))
	}
	for rows.Next() {
		var e chainedEvent
		var mac string
		if err := rows.Scan(&e.Seq, &e.Session, &e.Kind, &e.At, &e.Operator, &e.Desk, &e.Data, &mac); err != nil {
			return d.failed(err)
		}
		if suspect != nil {
			// The event after a bad one tells what happened to it.
			switch {
			case mac == sum(&e, suspectMAC) && suspect.Seq > prevSeq+1:
				// Numbers are missing before it: PostgreSQL skips one only
				// for a transaction that failed, so a deletion is likelier.
				r.Broken = &ChainBreak{Seq: suspect.Seq, Session: suspect.Session,
					What: fmt.Sprintf("the event before it is missing (event %d was deleted), or it was changed", suspect.Seq-1)}
			case mac == sum(&e, suspectMAC):
				r.Broken = &ChainBreak{Seq: suspect.Seq, Session: suspect.Session,
					What: "its content was changed after it was written (its MAC no longer matches it)"}
			case mac == sum(&e, prevPrev):
				r.Broken = &ChainBreak{Seq: suspect.Seq, Session: suspect.Session,
					What: "it was inserted into the history (it is not part of the chain)"}
			default:
				r.Broken = &ChainBreak{Seq: suspect.Seq, Session: suspect.Session,
					What: "the event before it is missing (deleted), or it was changed together with its MAC"}
			}
			return nil
		}
		if mac != sum(&e, prev) {
			cp := e
			suspect, suspectMAC = &cp, mac
			prevPrev = prev
			r.Events++
			continue
		}
		r.Events++
		prevPrev, prev, prevSeq = prev, mac, e.Seq
		r.HeadSeq, r.HeadMAC = e.Seq, mac
	}
	if err := rows.Err(); err != nil {
		return d.failed(err)
	}
	if suspect != nil {
		// The newest event is bad: nothing after it to tell which.
		r.Broken = &ChainBreak{Seq: suspect.Seq, Session: suspect.Session,
			What: "it does not follow the event before it: it was changed or inserted, or an event before it was deleted"}
	}
	return nil
}

// verifySessions compares every session row with a fold of its events,
// both in id order (a merge, constant memory). Rows changed after top
// are skipped.
func (d *DB) verifySessions(ctx context.Context, r *ChainReport, top int64) error {
	srows, err := d.db.QueryContext(ctx, `SELECT num, id, state, last_seq FROM sessions ORDER BY id`)
	if err != nil {
		return d.failed(err)
	}
	defer srows.Close()
	erows, err := d.db.QueryContext(ctx, `SELECT seq, session_id, kind, at, operator, desk, data FROM events
WHERE session_id <> '' AND seq <= $1 ORDER BY session_id, seq`, top)
	if err != nil {
		return d.failed(err)
	}
	defer erows.Close()

	type row struct {
		num     int64
		id      string
		state   string
		lastSeq int64
	}
	nextRow := func() (*row, error) {
		if !srows.Next() {
			return nil, srows.Err()
		}
		var x row
		err := srows.Scan(&x.num, &x.id, &x.state, &x.lastSeq)
		return &x, err
	}
	// pending is the event read ahead of the session being folded.
	var pending *chainedEvent
	nextEvent := func() (*chainedEvent, error) {
		if pending != nil {
			e := pending
			pending = nil
			return e, nil
		}
		if !erows.Next() {
			return nil, erows.Err()
		}
		var e chainedEvent
		err := erows.Scan(&e.Seq, &e.Session, &e.Kind, &e.At, &e.Operator, &e.Desk, &e.Data)
		return &e, err
	}
	// foldNext folds the events of the next session in id order.
	foldNext := func() (id string, s *Session, first, last int64, err error) {
		e, err := nextEvent()
		if e == nil || err != nil {
			return "", nil, 0, 0, err
		}
		id, first = e.Session, e.Seq
		for e != nil && e.Session == id {
			var doc eventDoc
			if err := json.Unmarshal([]byte(e.Data), &doc); err != nil {
				return id, nil, first, e.Seq, fmt.Errorf("event %d: %w", e.Seq, err)
			}
			next, ferr := foldEvent(s, id, e.Kind, fromMS(e.At), Actor{Operator: e.Operator, Desk: e.Desk}, &doc)
			if ferr == nil {
				s = next
			} else if s == nil {
				return id, nil, first, e.Seq, ferr
			}
			if e.Kind != EventAudit { // an audit entry leaves the row as it is
				last = e.Seq
			}
			if e, err = nextEvent(); err != nil {
				return id, nil, first, last, err
			}
		}
		pending = e
		return id, s, first, last, nil
	}

	x, err := nextRow()
	if err != nil {
		return d.failed(err)
	}
	id, folded, first, last, ferr := foldNext()
	for x != nil || id != "" {
		switch {
		case ferr != nil:
			r.Broken = &ChainBreak{Session: id, Seq: last, What: "its events cannot be read back: " + ferr.Error()}
			return nil
		case x != nil && (id == "" || x.id < id):
			if x.lastSeq <= top {
				r.Broken = &ChainBreak{Session: x.id, What: "the sessions table has it, but no event records it (it was inserted)"}
				return nil
			}
			if x, err = nextRow(); err != nil {
				return d.failed(err)
			}
		case x == nil || id < x.id:
			r.Broken = &ChainBreak{Session: id, Seq: first,
				What: "its events are in the history, but the sessions table no longer has it (it was removed)"}
			return nil
		default: // the same session
			if x.lastSeq <= top {
				r.Sessions++
				switch {
				case folded == nil:
					r.Broken = &ChainBreak{Session: id, Seq: first, What: "its events do not make a session"}
				case x.num != first:
					r.Broken = &ChainBreak{Session: id, What: fmt.Sprintf("the sessions table numbers it %d, its first event is %d", x.num, first)}
				case x.lastSeq != last:
					r.Broken = &ChainBreak{Session: id, Seq: x.lastSeq,
						What: fmt.Sprintf("the sessions table says its last event is %d, the history's is %d", x.lastSeq, last)}
				case x.state != string(folded.State):
					r.Broken = &ChainBreak{Session: id, Seq: last,
						What: fmt.Sprintf("the sessions table says %q, its events say %q", x.state, folded.State)}
				}
				if r.Broken != nil {
					return nil
				}
			}
			if x, err = nextRow(); err != nil {
				return d.failed(err)
			}
			id, folded, first, last, ferr = foldNext()
		}
	}
	return nil
}
