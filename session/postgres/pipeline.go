package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kycdesk/kycdesk/session"
)

// pipeline is session.Pipeline on pgx: the statements go in one batch
// (PostgreSQL's extended protocol, pipelined: one round trip), each
// prepared once per connection under a name of its own, so that a batch
// sends only their values. database/sql holds the connection's open
// transaction; the batch runs in it.
func pipeline(ctx context.Context, conn *sql.Conn, stmts []session.Piped) error {
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pipeline: a %T connection, not pgx's", dc)
		}
		c := sc.Conn()
		b := &pgx.Batch{}
		for _, st := range stmts {
			// Prepare with the SQL as its name: pgx prepares it once per
			// connection (a round trip the first time), and the batch then
			// runs the prepared statement by that name.
			if _, err := c.Prepare(ctx, st.SQL, st.SQL); err != nil {
				return err
			}
			q := b.Queue(st.SQL, st.Args...)
			if st.Row == nil {
				continue // its result is read, and its error returned, by Close
			}
			row := st.Row
			q.QueryRow(func(r pgx.Row) error {
				return row(func(dest ...any) error {
					err := r.Scan(dest...)
					if errors.Is(err, pgx.ErrNoRows) {
						return sql.ErrNoRows
					}
					return err
				})
			})
		}
		return c.SendBatch(ctx, b).Close()
	})
}
