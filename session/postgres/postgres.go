// Package postgres is the session store that several desks and servers
// share: a PostgreSQL database (github.com/jackc/pgx/v5). The duplicate
// guard holds across all of them (an advisory lock per customer, taken in
// the transaction that inserts), and a change reaches every process
// through LISTEN/NOTIFY.
//
// Every process using one store must use the same fingerprint key
// (KYCDESK_STORE_KEY, or the file KYCDESK_STORE_KEY_FILE names; see
// session.StoreKey): a store refuses a key other than the one it was first
// written with.
//
// Importing it makes session.OpenStore open postgres:// and postgresql://
// URLs.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/session/migrations"
)

func init() {
	open := func(ctx context.Context, target string, getenv func(string) string) (session.Store, error) {
		return Open(ctx, target, getenv)
	}
	session.RegisterBackend("postgres", open)
}

// listExecMode is how the queries that are not prepared when the store
// opens run (lists, counts, reports): described once, then planned with
// each call's own values. pgx's default prepares them, and after five
// calls PostgreSQL may keep a generic plan that does not know the value:
// "this desk's newest five" then walked every session backwards for a
// desk that had none, 200 ms each, and 500 desks connecting to a store
// of 60k sessions waited 30 s for home (issue 18). The writes' statements
// are prepared by name when the store opens (session.DB.prepareHot) and
// keep their plans: a lookup by key has one good plan.
const listExecMode = pgx.QueryExecModeCacheDescribe

// connConfig is the URL's connection settings with the store's defaults
// where the URL says nothing.
func connConfig(rawURL string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	if u, err := url.Parse(rawURL); err != nil || !u.Query().Has("default_query_exec_mode") {
		cfg.DefaultQueryExecMode = listExecMode
	}
	return cfg, nil
}

// connectTimeout bounds connecting when the URL does not say
// (connect_timeout).
const connectTimeout = 10 * time.Second

// Open opens the store at the postgres:// URL, applying the migrations
// the database lacks (the schema is the URL's search_path, else public).
// Errors name the URL without its password.
func Open(ctx context.Context, rawURL string, getenv func(string) string) (*session.DB, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	loc := session.RedactURL(rawURL)
	fail := func(err error) error {
		return fmt.Errorf("store %s: %s", loc, hidePassword(err.Error(), rawURL))
	}
	cfg, err := connConfig(rawURL)
	if err != nil {
		return nil, fail(err)
	}
	key, _, err := session.StoreKey(getenv)
	if err != nil {
		return nil, fail(err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16) // kept: a burst of launches does not reconnect (issue 18)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fail(err)
	}
	st, err := session.NewDB(ctx, session.DBConfig{
		DB:        db,
		Dialect:   migrations.Postgres,
		Location:  loc,
		Key:       key,
		StrictKey: true,
		Retryable: retryable,
		Watch:     listen(cfg),
		Pipeline:  pipeline,
	})
	if err != nil {
		return nil, errors.New(hidePassword(err.Error(), rawURL))
	}
	return st, nil
}

// retryable reports failures that a new attempt of the whole transaction
// cures.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return true
		}
	}
	return false
}

// listen is the change feed: LISTEN on the store's channel, on a
// connection of its own, reconnecting with a growing pause; after a
// reconnection the subscribers are told to reload (notifications sent
// meanwhile are lost).
func listen(cfg *pgx.ConnConfig) func(ctx context.Context, channel string, emit func(session.Change), ready func()) {
	return func(ctx context.Context, channel string, emit func(session.Change), ready func()) {
		pause := 100 * time.Millisecond
		connected := false
		for ctx.Err() == nil {
			conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
			if err == nil {
				if _, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err == nil {
					if connected {
						emit(session.Change{Resync: true})
					}
					connected = true
					ready()
					pause = 100 * time.Millisecond
					for {
						n, err := conn.WaitForNotification(ctx)
						if err != nil {
							break
						}
						emit(session.Change{IDs: []string{n.Payload}, Sender: n.PID})
					}
				}
				conn.Close(context.Background())
			}
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			pause = min(2*pause, 5*time.Second)
		}
	}
}

// hidePassword removes the URL's password from msg, whatever the driver
// put there.
func hidePassword(msg, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return msg
	}
	var pws []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			pws = append(pws, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for k, vs := range u.Query() {
		if strings.Contains(strings.ToLower(k), "password") {
			pws = append(pws, vs...)
		}
	}
	for _, pw := range pws {
		if pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
	}
	return msg
}
