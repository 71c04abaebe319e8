package session

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/kycdesk/kycdesk/providers"
)

// The statements of every write, prepared once when the store opens
// (DB.prepareHot) and then on each connection that runs them.
const (
	sqlIDTaken       = `SELECT 1 FROM sessions WHERE id = $1`
	sqlIDsTaken      = `SELECT id FROM sessions WHERE id >= $1 AND id < $2`
	sqlChainHead     = `SELECT mac FROM events ORDER BY seq DESC LIMIT 1`
	sqlInsertEvent   = `INSERT INTO events (session_id, kind, at, operator, desk, data, mac) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`
	sqlInsertSession = `INSERT INTO sessions (num, id, provider, mode, customer, state, created_at, active_until, sending_until, last_seq, search)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	sqlInsertDoc     = `INSERT INTO session_docs (num, doc) VALUES ($1, $2)`
	sqlUpdateSession = `UPDATE sessions SET customer = $2, state = $3, active_until = $4, sending_until = $5, last_seq = $6, search = $7 WHERE num = $1`
	sqlUpdateDoc     = `UPDATE session_docs SET doc = $2 WHERE num = $1`
	sqlInsertRef     = `INSERT INTO refs (value, num) VALUES ($1, $2) ON CONFLICT DO NOTHING`
)

// The same writes as one statement each, on a database whose WITH can
// modify tables (PostgreSQL; Dialect.WriteCTE): a launch's event, session
// and document, or an event with its session's new row, document and
// references. Each statement is a round trip there, and a batch of writes
// (group.go) runs them one after another: 50 launches' intents and
// outcomes were 600 round trips in a row (issue 18).
const (
	sqlCTEInsertSession = `WITH e AS (INSERT INTO events (session_id, kind, at, operator, desk, data, mac)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq),
s AS (INSERT INTO sessions (num, id, provider, mode, customer, state, created_at, active_until, sending_until, last_seq, search)
SELECT seq, $1::text, $8::text, $9::text, $10::text, $11::text, $12::bigint, $13::bigint, $14::bigint, seq, $15::text FROM e RETURNING num)
INSERT INTO session_docs (num, doc) SELECT num, $16::text FROM s RETURNING num`
	sqlCTEUpdateSession = `WITH e AS (INSERT INTO events (session_id, kind, at, operator, desk, data, mac)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq),
u AS (UPDATE sessions SET customer = $9::text, state = $10::text, active_until = $11::bigint, sending_until = $12::bigint,
last_seq = e.seq, search = $13::text FROM e WHERE num = $8::bigint),
d AS (UPDATE session_docs SET doc = $14::text WHERE num = $8::bigint),
r AS (INSERT INTO refs (value, num) SELECT x, $8::bigint FROM json_array_elements_text($15::json) AS x ON CONFLICT DO NOTHING)
SELECT seq FROM e`
)

// claimSessionSQL is sqlCTEInsertSession that first claims the id ($1):
// only when no session has it and tryLock ($17, its lock's key) takes its
// lock; it returns no row when the id is taken or another launch is
// claiming it. For a transaction that holds the chain's lock, where no
// other transaction can commit a session before it ends: a launch is one
// round trip, not two (issue 18).
func claimSessionSQL(tryLock string) string {
	return `WITH c AS (SELECT CASE WHEN EXISTS (SELECT 1 FROM sessions WHERE id = $1::text) THEN false ELSE ` + tryLock + `($17::bigint) END AS ok),
e AS (INSERT INTO events (session_id, kind, at, operator, desk, data, mac)
SELECT $1::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::text FROM c WHERE c.ok RETURNING seq),
s AS (INSERT INTO sessions (num, id, provider, mode, customer, state, created_at, active_until, sending_until, last_seq, search)
SELECT seq, $1::text, $8::text, $9::text, $10::text, $11::text, $12::bigint, $13::bigint, $14::bigint, seq, $15::text FROM e RETURNING num)
INSERT INTO session_docs (num, doc) SELECT num, $16::text FROM s RETURNING num`
}

// stamp is an event's time: t, or now.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return normTime(time.Now())
	}
	return normTime(t)
}

// Intent implements Store.
func (d *DB) Intent(ctx context.Context, in Intent) (*Session, error) {
	if in.Provider == "" || in.Mode == "" {
		return nil, errors.New("intent: no provider or mode")
	}
	if in.Request == nil {
		return nil, errors.New("intent: no request")
	}
	at := stamp(in.At)
	e := &eventDoc{Provider: in.Provider, Mode: in.Mode, Endpoint: in.Endpoint, Customer: strings.TrimSpace(in.Customer),
		Fingerprint: fingerprint(d.key, in.Request), Attempt: 1, SendingUntil: sendingUntil(at, in.SendingUntil)}
	if v := encodeValues(in.Values); v != "" {
		e.Values = json.RawMessage(v)
	}
	actor := ActorOf(ctx)
	var out *Session
	err := d.write(ctx, func(tx *wtx) error {
		e.Confirmed = nil
		if err := d.checkQuotas(ctx, tx, in.Quotas, actor, at); err != nil {
			return err
		}
		if e.Mode == providers.ModeLive && e.Customer != "" { // the duplicate guard
			if err := d.lock(ctx, tx, "guard\x00"+e.Provider+"\x00"+string(e.Mode)+"\x00"+e.Customer); err != nil {
				return err
			}
			pend, err := d.pendingFor(tx.ctx, tx, e.Provider, e.Customer, e.Mode, at)
			if err != nil {
				return err
			}
			if len(pend) > 0 && !in.Confirmed {
				return &DuplicateError{Pending: pend}
			}
			for _, p := range pend { // what the operator confirmed, with who (the actor)
				e.Confirmed = append(e.Confirmed, p.ID)
			}
		}
		if d.sqlClaimSession != "" {
			// The chain's lock first, so that the id is claimed and the
			// session inserted in one statement (claimSessionSQL). Safe as
			// the chain's lock is still the last a write waits for: the
			// id's lock is only tried (claimID).
			if _, err := d.chainHead(ctx, tx); err != nil {
				return err
			}
		}
		var s *Session
		id, err := d.claimID(ctx, tx, at, func(id string) (bool, error) {
			var err error
			if s, err = foldEvent(nil, id, EventIntent, at, actor, e); err != nil {
				return false, err
			}
			if tx.chainHeld && d.sqlClaimSession != "" {
				return d.claimSession(ctx, tx, s, at, actor, e)
			}
			if ok, err := d.claimFree(ctx, tx, id); !ok || err != nil {
				return false, err
			}
			_, err = d.appendIntent(ctx, tx, s, at, actor, e)
			return err == nil, err
		})
		if err != nil {
			return err
		}
		out = s
		return d.notify(ctx, tx, id, s)
	})
	return out, d.failed(err)
}

func sendingUntil(at, until time.Time) time.Time {
	if until.IsZero() {
		return at.Add(DefaultSendLease)
	}
	return normTime(until)
}

// claimID claims a free session id for a launch at at with claim, which
// reports whether it got the id (false: taken, or another launch is
// claiming it) and, once it did, holds it in tx until tx commits. An id is
// the second of the launch and one of 32 slots: first the second's free
// slots from a random one, then the following seconds' (a burst of more
// than 32 launches in a second). The ids taken in the next minute are
// read at once, and a slot another launch is claiming right now is passed
// over, not waited for: probing one slot after another under a waiting
// lock cost a burst of 50 desks about 1,200 round trips (issue 18).
func (d *DB) claimID(ctx context.Context, tx *wtx, at time.Time, claim func(id string) (bool, error)) (string, error) {
	const window = 32 * 64 // the slots of the next minute, read at once
	base := uint64(max(at.Unix(), 0)) << 5
	// A batch's launches of the same second read the taken ids once; the
	// ids claimed since are added as they are (below).
	taken := tx.taken
	if taken == nil || tx.takenBase != base {
		taken = map[string]bool{}
		rows, err := tx.query(sqlIDsTaken, encodeID(base), encodeID(base+window))
		if err != nil {
			return "", err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return "", err
			}
			taken[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", err
		}
		tx.taken, tx.takenBase = taken, base
	}
	start := uint64(rand.IntN(32))
	for k := range uint64(1 << 16) {
		n := base + k
		if k < 32 {
			n = base + (start+k)%32
		}
		id := encodeID(n)
		if taken[id] {
			continue
		}
		ok, err := claim(id)
		taken[id] = true // claimed now, or by another launch before
		if err != nil {
			return "", err
		}
		if ok {
			return id, nil
		}
	}
	return "", errors.New("no free session id")
}

// claimFree takes id's lock if no session has it and no other launch is
// claiming it, and says whether it did.
func (d *DB) claimFree(ctx context.Context, tx *wtx, id string) (bool, error) {
	if tx.chainHeld && d.sqlClaimFree != "" {
		// Holding the chain's lock, no other transaction can commit a
		// session until this one ends (each write's last lock is the
		// chain's): whether the id is free and its lock go in one
		// statement, a round trip fewer a launch (issue 18).
		var ok bool
		err := tx.row(d.sqlClaimFree, lockKey("id\x00"+id), id).Scan(&ok)
		return ok, err
	}
	if ok, err := d.tryLock(ctx, tx, "id\x00"+id); err != nil || !ok {
		return false, err // !ok: another launch is claiming it
	}
	// Under the lock: one committed since the read is seen now.
	var one int
	err := tx.row(sqlIDTaken, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return false, err
}

// update appends the event build returns to session id and folds it, in
// one transaction that holds the session's lock. build may return a nil
// event to write nothing, or an error to refuse.
func (d *DB) update(ctx context.Context, id string, build func(cur *Session) (string, time.Time, *eventDoc, error)) (*Session, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	actor := ActorOf(ctx)
	var out *Session
	err := d.write(ctx, func(tx *wtx) error {
		// Not holding the chain's lock yet (the batch's first write), the
		// session's lock is waited for before the chain's (lockAndLoad):
		// taking the chain's first would turn that wait into a move to
		// the next batch, again and again while another serve holds it.
		if was, ok := d.recent.get(id); ok && tx.chainHeld && d.sqlUpdateIfWas != "" {
			next, err := d.updateIfWas(ctx, tx, id, was, build, actor)
			if err != nil {
				return err
			}
			if next != nil {
				out = next
				return d.notify(ctx, tx, id, next)
			}
			d.recent.drop(id) // not as this store wrote it last: read it
		}
		cur, err := d.lockAndLoad(ctx, tx, id)
		if err != nil {
			return err
		}
		kind, at, e, err := build(cur)
		if err != nil || e == nil {
			out = cur
			return err
		}
		next, err := foldEvent(cur, id, kind, at, actor, e)
		if err != nil {
			return refuse("%v", err)
		}
		next.num = cur.num
		if err := d.appendEvent(ctx, tx, next, kind, at, actor, e, outcomeRefs(kind, e)); err != nil {
			return err
		}
		out = next
		return d.notify(ctx, tx, id, next)
	})
	if err != nil {
		return nil, d.failed(err)
	}
	return out, nil
}

// outcomeRefs are the provider references a session is found by, which
// its successful outcome event e brings.
func outcomeRefs(kind string, e *eventDoc) map[string]string {
	if kind == EventOutcome && e.Error == nil {
		return e.References
	}
	return nil
}

// lockAndLoad takes session id's lock and reads it. A transaction that
// holds the chain's lock does both in one statement: no other transaction
// can commit a change to the session until it ends, so a read in the
// statement that takes the lock sees what one after it would.
func (d *DB) lockAndLoad(ctx context.Context, tx *wtx, id string) (*Session, error) {
	if !tx.chainHeld || d.sqlLockedByID == "" {
		if err := d.lock(ctx, tx, "id\x00"+id); err != nil {
			return nil, err
		}
		return d.loadTx(tx, id)
	}
	var locked bool
	s, err := scanSession(lockedRow{tx.row(d.sqlLockedByID, id, lockKey("id\x00"+id)), &locked})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	case err != nil:
		return nil, err
	case !locked: // another transaction holds it: the next batch (lock)
		return nil, errLater
	}
	return s, nil
}

// lockedRow scans a row whose first column says whether a lock was taken
// into locked, and the rest as the caller asks.
type lockedRow struct {
	row    *sql.Row
	locked *bool
}

func (r lockedRow) Scan(dest ...any) error {
	return r.row.Scan(append([]any{r.locked}, dest...)...)
}

// Attempt implements Store.
func (d *DB) Attempt(ctx context.Context, id string, a Attempt) (*Session, error) {
	if a.Request == nil {
		return nil, errors.New("retry: no request")
	}
	at := stamp(a.At)
	values := encodeValues(a.Values)
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		switch {
		case cur.Launched():
			return "", at, nil, refuse("session %s was launched (state: %s); there is nothing to retry", cur.ID, cur.State)
		case cur.State == StateResolved:
			return "", at, nil, refuse("session %s was resolved (%s); launch a new session instead", cur.ID, cur.Resolution)
		case cur.Sending(at):
			return "", at, nil, refuse("session %s is being sent (until %s, perhaps by another desk); wait for its outcome",
				cur.ID, cur.SendingUntil.Format("15:04:05"))
		}
		fp := fingerprintOf(d.key, a.Request, cur.RequestHash)
		if cur.RequestHash == "" || cur.RequestHash != fp {
			return "", at, nil, bodyChanged(cur, fp)
		}
		e := &eventDoc{Fingerprint: fp, Attempt: cur.Attempts + 1, SendingUntil: sendingUntil(at, a.SendingUntil)}
		if values != "" {
			e.Values = json.RawMessage(values)
		}
		return EventIntent, at, e, nil
	})
}

// Outcome implements Store.
func (d *DB) Outcome(ctx context.Context, id string, o Outcome) (*Session, error) {
	at := stamp(o.At)
	e := outcomeEvent(o)
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		if cur.Launched() {
			return "", at, nil, refuse("session %s already has a launch outcome", cur.ID)
		}
		if cur.Customer != "" {
			e.Customer = "" // the intent has it
		}
		return EventOutcome, at, e, nil
	})
}

// Status implements Store.
func (d *DB) Status(ctx context.Context, id string, st *providers.Status, src Source) (*Session, error) {
	if st == nil || st.State == "" {
		return nil, errors.New("status: empty")
	}
	if err := checkSource(src); err != nil {
		return nil, err
	}
	detail := StatusDetail(st)
	at := stamp(st.At)
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		if !cur.Launched() {
			return "", at, nil, refuse("session %s has no launch outcome (state: %s); there is no status to record", cur.ID, cur.State)
		}
		// The record's rules, on the row read under the session's lock.
		if StatusRule(cur, st.State, detail, src) != StatusAppend {
			return "", at, nil, nil
		}
		return EventStatus, at, &eventDoc{State: st.State, Detail: detail, Source: src}, nil
	})
}

// CodeSent implements Store.
func (d *DB) CodeSent(ctx context.Context, id string, ch *providers.Challenge, extra map[string]string) (*Session, error) {
	if ch == nil {
		return nil, errors.New("code: no challenge")
	}
	at := stamp(time.Time{})
	e := &eventDoc{Challenge: challengeDocOf(ch)}
	if len(extra) > 0 {
		e.Extra = map[string]string{}
		for k, v := range extra {
			e.Extra[clip(providers.SanitizeLine(k), 64)] = clip(providers.SanitizeLine(v), 200)
		}
	}
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		if !cur.Launched() || cur.Challenge == nil {
			return "", at, nil, refuse("session %s has no one-time-code challenge", cur.ID)
		}
		return EventCode, at, e, nil
	})
}

// Resolve implements Store.
func (d *DB) Resolve(ctx context.Context, id, how string) (*Session, error) {
	return d.resolveAt(ctx, id, how, time.Time{})
}

func (d *DB) resolveAt(ctx context.Context, id, how string, at time.Time) (*Session, error) {
	how = clip(strings.TrimSpace(providers.SanitizeLine(how)), 500)
	if how == "" {
		return nil, refuse("say how the outcome was resolved (e.g. \"checked: not created\")")
	}
	at = stamp(at)
	return d.update(ctx, id, func(cur *Session) (string, time.Time, *eventDoc, error) {
		switch {
		case !cur.OutcomeUnknown():
			return "", at, nil, refuse("session %s is %s, not of unknown outcome; there is nothing to resolve", cur.ID, cur.State)
		case cur.Sending(at):
			return "", at, nil, refuse("session %s is being sent (until %s, perhaps by another desk); wait for its outcome",
				cur.ID, cur.SendingUntil.Format("15:04:05"))
		}
		return EventResolved, at, &eventDoc{Detail: how}, nil
	})
}

// Audit implements Store.
func (d *DB) Audit(ctx context.Context, a AuditEntry) error {
	action := clip(strings.TrimSpace(providers.SanitizeLine(a.Action)), 100)
	if action == "" {
		return errors.New("audit: no action")
	}
	at := stamp(a.At)
	e := &eventDoc{Action: action, Detail: clip(strings.TrimSpace(providers.SanitizeLine(a.Detail)), 500)}
	id := strings.ToLower(strings.TrimSpace(a.Session))
	actor := ActorOf(ctx)
	err := d.write(ctx, func(tx *wtx) error {
		_, err := d.insertEvent(ctx, tx, id, EventAudit, at, actor, e)
		return err
	})
	return d.failed(err)
}

func (d *DB) insertEvent(ctx context.Context, tx *wtx, id, kind string, at time.Time, actor Actor, e *eventDoc) (int64, error) {
	ev, err := d.chainEvent(ctx, tx, id, kind, at, actor, e)
	if err != nil {
		return 0, err
	}
	var seq int64
	if err := tx.row(sqlInsertEvent, ev.args()...).Scan(&seq); err != nil {
		return 0, err
	}
	tx.head = ev.MAC
	return seq, nil
}

// macEvent is an event as it is inserted: its columns and its MAC.
type macEvent struct {
	chainedEvent
	MAC string
}

// args are the event's values for sqlInsertEvent's $1–$7.
func (ev *macEvent) args(more ...any) []any {
	return append([]any{ev.Session, ev.Kind, ev.At, ev.Operator, ev.Desk, ev.Data, ev.MAC}, more...)
}

// chainEvent is e as the next event of the chain: its MAC covers the
// previous one's, read under the chain's lock, which orders every writer
// of the store. tx.head moves to it once it is inserted.
func (d *DB) chainEvent(ctx context.Context, tx *wtx, id, kind string, at time.Time, actor Actor, e *eventDoc) (*macEvent, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	ev := &macEvent{chainedEvent: chainedEvent{Session: id, Kind: kind, At: at.UnixMilli(),
		Operator: clip(providers.SanitizeLine(actor.Operator), 200), Desk: clip(providers.SanitizeLine(actor.Desk), 200),
		Data: string(data)}}
	prev, err := d.chainHead(ctx, tx)
	if err != nil {
		return nil, err
	}
	ev.MAC = ev.mac(d.key, prev)
	return ev, nil
}

// appendIntent inserts a launch's intent e and its session s (folded from
// it; its num is the event's seq, returned and set).
func (d *DB) appendIntent(ctx context.Context, tx *wtx, s *Session, at time.Time, actor Actor, e *eventDoc) (int64, error) {
	if !d.dialect.WriteCTE {
		seq, err := d.insertEvent(ctx, tx, s.ID, EventIntent, at, actor, e)
		if err != nil {
			return 0, err
		}
		s.num, s.seq = seq, seq
		return seq, d.insertSession(ctx, tx, s, seq)
	}
	ev, err := d.chainEvent(ctx, tx, s.ID, EventIntent, at, actor, e)
	if err != nil {
		return 0, err
	}
	doc, err := json.Marshal(docOf(s))
	if err != nil {
		return 0, err
	}
	var seq int64
	if err := tx.row(sqlCTEInsertSession, ev.args(s.Provider, string(s.Mode), s.Customer, string(s.State),
		s.CreatedAt.UnixMilli(), activeUntil(s), ms(s.SendingUntil), searchText(s), string(doc))...).Scan(&seq); err != nil {
		return 0, err
	}
	tx.head = ev.MAC
	s.num, s.seq = seq, seq
	d.remember(tx, s, seq, string(doc))
	return seq, nil
}

// claimSession claims s's id and inserts its launch's intent e, session
// and document in one statement (claimSessionSQL), and says whether it
// did: false, with nothing written, when the id is taken or another
// launch is claiming it. tx holds the chain's lock.
func (d *DB) claimSession(ctx context.Context, tx *wtx, s *Session, at time.Time, actor Actor, e *eventDoc) (bool, error) {
	ev, err := d.chainEvent(ctx, tx, s.ID, EventIntent, at, actor, e)
	if err != nil {
		return false, err
	}
	doc, err := json.Marshal(docOf(s))
	if err != nil {
		return false, err
	}
	args := ev.args(s.Provider, string(s.Mode), s.Customer, string(s.State),
		s.CreatedAt.UnixMilli(), activeUntil(s), ms(s.SendingUntil), searchText(s), string(doc), lockKey("id\x00"+s.ID))
	claimed := func(seq int64) {
		s.num, s.seq = seq, seq
		d.remember(tx, s, seq, string(doc))
	}
	// Queued, as claimed: under the chain's lock, the ids read as free
	// (claimID) stay free unless a serve of an earlier release claims one
	// without it, and then the batch runs again (pipeline.go).
	if tx.laterSeq(d.sqlClaimSession, args, claimed) {
		tx.head = ev.MAC
		return true, nil
	}
	var seq int64
	err = tx.row(d.sqlClaimSession, args...).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	tx.head = ev.MAC
	claimed(seq)
	return true, nil
}

// appendEvent inserts event e of session next (folded with it; next.num
// set) with next's new row and document, and refs.
func (d *DB) appendEvent(ctx context.Context, tx *wtx, next *Session, kind string, at time.Time, actor Actor, e *eventDoc, refs map[string]string) error {
	if !d.dialect.WriteCTE {
		seq, err := d.insertEvent(ctx, tx, next.ID, kind, at, actor, e)
		if err != nil {
			return err
		}
		next.seq = seq
		if err := d.updateSession(ctx, tx, next, seq); err != nil {
			return err
		}
		return d.insertRefs(ctx, tx, next.num, refs)
	}
	_, err := d.appendEventCTE(ctx, tx, next, kind, at, actor, e, refs, nil)
	return err
}

// appendEventCTE is appendEvent in one statement (Dialect.WriteCTE). With
// was set, only if the session's row is still was and its lock is free
// (sqlUpdateIfWas); it says whether it wrote.
func (d *DB) appendEventCTE(ctx context.Context, tx *wtx, next *Session, kind string, at time.Time, actor Actor, e *eventDoc, refs map[string]string, was *recentRow) (bool, error) {
	ev, err := d.chainEvent(ctx, tx, next.ID, kind, at, actor, e)
	if err != nil {
		return false, err
	}
	doc, err := json.Marshal(docOf(next))
	if err != nil {
		return false, err
	}
	vals := []string{}
	for _, k := range sortedKeys(refs) {
		if v := refs[k]; v != "" && !slices.Contains(vals, v) {
			vals = append(vals, v)
		}
	}
	refsJSON, err := json.Marshal(vals)
	if err != nil {
		return false, err
	}
	q, args := sqlCTEUpdateSession, ev.args(next.num, next.Customer, string(next.State), activeUntil(next),
		ms(next.SendingUntil), searchText(next), string(doc), string(refsJSON))
	if was != nil {
		q, args = d.sqlUpdateIfWas, append(args, was.args(lockKey("id\x00"+next.ID))...)
	}
	wrote := func(seq int64) {
		next.seq = seq
		d.remember(tx, next, seq, string(doc))
	}
	// Queued, as written: a row changed since this store wrote it is rare
	// (another serve, a hand on the database), and then the batch runs
	// again, this write reading the row first (pipeline.go).
	if was != nil && tx.laterSeq(q, args, wrote) {
		tx.head = ev.MAC
		return true, nil
	}
	var seq int64
	err = tx.row(q, args...).Scan(&seq)
	if was != nil && errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	tx.head = ev.MAC
	wrote(seq)
	return true, nil
}

func (d *DB) insertSession(ctx context.Context, tx *wtx, s *Session, lastSeq int64) error {
	doc, err := json.Marshal(docOf(s))
	if err != nil {
		return err
	}
	if err := tx.exec(sqlInsertSession,
		s.num, s.ID, s.Provider, string(s.Mode), s.Customer, string(s.State), s.CreatedAt.UnixMilli(), activeUntil(s),
		ms(s.SendingUntil), lastSeq, searchText(s)); err != nil {
		return err
	}
	return tx.exec(sqlInsertDoc, s.num, string(doc))
}

func (d *DB) updateSession(ctx context.Context, tx *wtx, s *Session, lastSeq int64) error {
	doc, err := json.Marshal(docOf(s))
	if err != nil {
		return err
	}
	if err := tx.exec(sqlUpdateSession,
		s.num, s.Customer, string(s.State), activeUntil(s), ms(s.SendingUntil), lastSeq, searchText(s)); err != nil {
		return err
	}
	return tx.exec(sqlUpdateDoc, s.num, string(doc))
}

func (d *DB) insertRefs(ctx context.Context, tx *wtx, num int64, refs map[string]string) error {
	seen := map[string]bool{}
	for _, k := range sortedKeys(refs) {
		v := refs[k]
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		if err := tx.exec(sqlInsertRef, v, num); err != nil {
			return err
		}
	}
	return nil
}
