package session

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// ScreenResult is the screen of a session's result: its QR, or the DWS
// code screen.
const ScreenResult = "result"

// DeskState is where a served desk was: the session on its screen.
type DeskState struct {
	Desk    string
	Session string
	Screen  string
	At      time.Time
}

// The desk state's statements, prepared once (d.prepared): a served desk
// records its screen at every launch, and modernc prepared each text
// again on every call (issue 18).
const (
	sqlClearDeskState = `DELETE FROM desk_state WHERE desk = $1`
	sqlSetDeskState   = `INSERT INTO desk_state (desk, session_id, screen, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (desk) DO UPDATE SET session_id = excluded.session_id, screen = excluded.screen, updated_at = excluded.updated_at`
	sqlDeskState = `SELECT desk, session_id, screen, updated_at FROM desk_state WHERE desk = $1`
)

// SetDeskState records that desk shows session id on screen; an empty id
// records that it shows no session. Desk names are the SSH user names the
// server accepts (short, plain).
func (d *DB) SetDeskState(ctx context.Context, desk, id, screen string) error {
	desk = clip(strings.TrimSpace(desk), 64)
	id = strings.ToLower(strings.TrimSpace(id))
	if desk == "" {
		return errors.New("desk state: no desk name")
	}
	at := time.Now().UnixMilli()
	// A write like the others: desks launching together share its commit.
	err := d.write(ctx, func(tx *wtx) error {
		q, args := sqlSetDeskState, []any{desk, clip(id, 64), clip(screen, 32), at}
		if id == "" {
			q, args = sqlClearDeskState, []any{desk}
		}
		if tx.later(q, args, nil) { // nothing to decide on: sent with the batch's others
			return nil
		}
		return tx.exec(q, args...)
	})
	return d.failed(err)
}

// DeskState is where desk was; ok is false when it showed no session.
func (d *DB) DeskState(ctx context.Context, desk string) (st DeskState, ok bool, err error) {
	desk = clip(strings.TrimSpace(desk), 64)
	var at int64
	err = d.retry(ctx, func() error {
		return d.queryRow(ctx, sqlDeskState, desk).Scan(&st.Desk, &st.Session, &st.Screen, &at)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return DeskState{}, false, nil
	}
	if err != nil {
		return DeskState{}, false, d.failed(err)
	}
	st.At = fromMS(at)
	return st, true, nil
}
