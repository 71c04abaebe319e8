// Package sqlite is the session store of one desk: a SQLite database
// (modernc.org/sqlite, pure Go) at $XDG_STATE_HOME/kycdesk/kycdesk.db,
// shared by the consoles and commands running on the machine.
//
// Importing it makes session.OpenStore open "", file paths and sqlite:PATH.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kycdesk/kycdesk/session"
	"github.com/kycdesk/kycdesk/session/internal/safefile"
	"github.com/kycdesk/kycdesk/session/migrations"
)

func init() {
	session.RegisterBackend("sqlite", func(ctx context.Context, target string, getenv func(string) string) (session.Store, error) {
		return Open(ctx, target, getenv)
	})
}

// LegacyJournal is the journal of earlier releases, imported once into
// the default store (see session.DB.ImportJournal).
const LegacyJournal = "sessions.jsonl"

// DefaultPath is $XDG_STATE_HOME/kycdesk/kycdesk.db, or
// ~/.local/state/kycdesk/kycdesk.db when XDG_STATE_HOME is unset or not
// absolute; "" when neither is known.
func DefaultPath(getenv func(string) string) string {
	if x := getenv("XDG_STATE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "kycdesk", "kycdesk.db")
	}
	if h := getenv("HOME"); h != "" && filepath.IsAbs(h) {
		return filepath.Join(h, ".local", "state", "kycdesk", "kycdesk.db")
	}
	return ""
}

// busyTimeout is SQLite's own wait for a lock, in milliseconds: short,
// because its waits grow (up to 100 ms) and favour newcomers; the store
// retries busy writes itself with short random pauses.
const busyTimeout = 10

// Open opens (creating it) the store at path, "" for DefaultPath. The
// file is made 0600 and its directory, when created, 0700; a symbolic
// link is refused. The database runs in WAL mode with synchronous=FULL,
// so a committed intent survives a crash or a power cut, and several
// processes use it at once. Opening the default store imports the
// journal of earlier releases next to it, once.
func Open(ctx context.Context, path string, getenv func(string) string) (*session.DB, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	def := DefaultPath(getenv)
	if path == "" {
		if def == "" {
			return nil, errors.New("store: no file: neither XDG_STATE_HOME nor HOME is set (give one with --store)")
		}
		path = def
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	fail := func(err error) error { return fmt.Errorf("store %s: %w", path, err) }
	notes, err := prepare(path)
	if err != nil {
		return nil, fail(err)
	}
	key, _, err := session.StoreKey(getenv)
	if err != nil {
		return nil, fail(err)
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fail(err)
	}
	// A bounded pool that keeps its connections: a burst of launches
	// queues for a connection instead of opening (and re-preparing) one
	// each, only to close all but a few afterwards, and SQLite takes one
	// writer at a time anyway (issue 18: 11% of a 50-desk burst's CPU was
	// opening connections).
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	st, err := session.NewDB(ctx, session.DBConfig{
		DB:        db,
		Dialect:   migrations.SQLite,
		Location:  path,
		Key:       key,
		Retryable: busy,
	})
	if err != nil {
		return nil, err
	}
	// SQLite created the file if something replaced it in between.
	if err := safefile.RefuseSymlink(path); err != nil {
		st.Close()
		return nil, fail(err)
	}
	for _, n := range notes {
		st.Warn(n)
	}
	if path == def {
		if _, err := st.ImportJournal(ctx, filepath.Join(filepath.Dir(path), LegacyJournal)); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

// prepare creates the directory (0700) and the file (0600) unless they
// exist, refuses symbolic links for the database and the files SQLite
// keeps beside it, and sets a file others can read back to 0600.
func prepare(path string) (notes []string, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	for _, side := range []string{"-wal", "-shm", "-journal"} {
		if err := safefile.RefuseSymlink(path + side); err != nil {
			return nil, err
		}
	}
	f, err := safefile.Open(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return nil, fmt.Errorf("readable by others (mode %04o) and cannot be fixed: %w", perm, err)
		}
		notes = append(notes, fmt.Sprintf("%s was mode %04o (readable by others); set to 0600", path, perm))
	}
	for _, side := range []string{"-wal", "-shm"} {
		if fi, err := os.Lstat(path + side); err == nil && fi.Mode().Perm()&0o077 != 0 {
			os.Chmod(path+side, 0o600)
		}
	}
	return notes, nil
}

// dsn is the driver's name for the database at path: a file: URI (so that
// any path works) with the settings every connection applies.
func dsn(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	if !strings.HasPrefix(esc, "/") {
		esc = "/" + esc // a Windows drive letter
	}
	return "file:" + esc + "?" + strings.Join([]string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout),
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_txlock=immediate",
	}, "&")
}

// busy reports SQLite's "database is locked" answers, which the store
// retries.
func busy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}
