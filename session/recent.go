package session

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// A launch writes its session twice in a row (the intent, then the
// outcome), and a served desk's status follows; on PostgreSQL each write
// read the session's row first, under its lock, a round trip in the
// writer's batch while every other write of the batch waits (issue 18).
// The store remembers each session's row as it last wrote it (recent),
// and the next write folds its event onto that row and writes it in one
// statement on condition that the row is still exactly that (every column
// a read gives, the document whole, its last event) and its lock is free
// (sqlUpdateIfWas). Otherwise nothing is written and the write reads the
// row as before. A row changed by anything else (another serve, an
// import, a hand on the database) is read, never overwritten from memory:
// the write sees what a read would have given, so the record's rules and a
// tampered row's evidence stay as they were.

// maxRecent bounds the rows remembered; past it, they are forgotten at
// once (a remembered row only saves a read).
const maxRecent = 4096

// recentRow is a session's row as this store last wrote it: the columns a
// read gives (sessionCols) and its last event.
type recentRow struct {
	num                                 int64
	id, provider, mode, customer, state string
	created                             int64
	sending                             sql.NullInt64
	doc                                 string
	lastSeq                             int64
}

// Scan gives the row as scanSession reads one from the database.
func (r *recentRow) Scan(dest ...any) error {
	if len(dest) != 10 {
		return errors.New("recent row: 10 columns")
	}
	*dest[0].(*int64) = r.num
	*dest[1].(*string) = r.id
	*dest[2].(*string) = r.provider
	*dest[3].(*string) = r.mode
	*dest[4].(*string) = r.customer
	*dest[5].(*string) = r.state
	*dest[6].(*int64) = r.created
	*dest[7].(*sql.NullInt64) = r.sending
	*dest[8].(*string) = r.doc
	*dest[9].(*int64) = r.lastSeq
	return nil
}

// args are sqlUpdateIfWas's $16–$24: the row's columns and last event,
// and the session lock's key.
func (r *recentRow) args(lock int64) []any {
	var sending any
	if r.sending.Valid {
		sending = r.sending.Int64
	}
	return []any{r.lastSeq, r.provider, r.mode, r.customer, r.state, r.created, sending, r.doc, lock}
}

// updateIfWasSQL is sqlCTEUpdateSession on condition that session $8's row
// is still the one remembered ($1 its id, $16–$23) and tryLock ($24, its
// lock's key) takes its lock; no row is returned when it is not.
func updateIfWasSQL(tryLock string) string {
	return `WITH c AS (SELECT 1 FROM sessions s JOIN session_docs d ON d.num = s.num
WHERE s.num = $8::bigint AND s.id = $1::text AND s.last_seq = $16::bigint AND s.provider = $17::text AND s.mode = $18::text
AND s.customer = $19::text AND s.state = $20::text AND s.created_at = $21::bigint
AND s.sending_until IS NOT DISTINCT FROM $22::bigint AND d.doc = $23::text AND ` + tryLock + `($24::bigint)),
e AS (INSERT INTO events (session_id, kind, at, operator, desk, data, mac)
SELECT $1::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::text FROM c RETURNING seq),
u AS (UPDATE sessions SET customer = $9::text, state = $10::text, active_until = $11::bigint, sending_until = $12::bigint,
last_seq = e.seq, search = $13::text FROM e WHERE num = $8::bigint),
d AS (UPDATE session_docs SET doc = $14::text FROM e WHERE num = $8::bigint),
r AS (INSERT INTO refs (value, num) SELECT x, $8::bigint FROM e, json_array_elements_text($15::json) AS x ON CONFLICT DO NOTHING)
SELECT seq FROM e`
}

// recentSessions are the rows this store wrote last, by session id.
type recentSessions struct {
	mu   sync.Mutex
	rows map[string]*recentRow
}

func (c *recentSessions) get(id string) (*recentRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rows[id]
	return r, ok
}

func (c *recentSessions) put(r *recentRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil || len(c.rows) >= maxRecent {
		c.rows = make(map[string]*recentRow)
	}
	c.rows[r.id] = r
}

func (c *recentSessions) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.rows, id)
}

// remember keeps s's row as tx wrote it (doc its document, seq its last
// event) once tx has committed; nothing when the store does not write
// conditionally (sqlUpdateIfWas).
func (d *DB) remember(tx *wtx, s *Session, seq int64, doc string) {
	if d.sqlUpdateIfWas == "" {
		return
	}
	r := &recentRow{num: s.num, id: s.ID, provider: s.Provider, mode: string(s.Mode), customer: s.Customer,
		state: string(s.State), created: s.CreatedAt.UnixMilli(), doc: doc, lastSeq: seq}
	if v, ok := ms(s.SendingUntil).(int64); ok {
		r.sending = sql.NullInt64{Int64: v, Valid: true}
	}
	tx.committed = append(tx.committed, func() { d.recent.put(r) })
}

// updateIfWas folds build's event onto was, the row this store wrote last,
// and writes it if the row is still was (appendEventCTE); it returns the
// session written, or nil when nothing was: build refused or wrote
// nothing on the remembered row, or the row is no longer it. The caller
// then reads the row and decides on it.
func (d *DB) updateIfWas(ctx context.Context, tx *wtx, id string, was *recentRow,
	build func(cur *Session) (string, time.Time, *eventDoc, error), actor Actor) (*Session, error) {
	cur, err := scanSession(was)
	if err != nil {
		return nil, nil
	}
	kind, at, e, err := build(cur)
	if err != nil || e == nil {
		return nil, nil
	}
	next, err := foldEvent(cur, id, kind, at, actor, e)
	if err != nil {
		return nil, nil
	}
	next.num = cur.num
	ok, err := d.appendEventCTE(ctx, tx, next, kind, at, actor, e, outcomeRefs(kind, e), was)
	if err != nil || !ok {
		return nil, err
	}
	return next, nil
}
