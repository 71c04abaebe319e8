package cli

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kycdesk/kycdesk/config"
	"github.com/kycdesk/kycdesk/providers"
	"github.com/kycdesk/kycdesk/providers/catalog"
	"github.com/kycdesk/kycdesk/session"
)

// cmdBackup is `kycdesk backup FILE [--store URL]`: a consistent copy of
// a SQLite store, taken while desks keep working (VACUUM INTO reads one
// snapshot), then checked: the copy opens, passes SQLite's integrity
// check and its MAC chain verifies under the store key. A PostgreSQL
// store is backed up with pg_dump; the command says how.
func cmdBackup(args []string, io *IO) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	store := storeFlag(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usage(false, "FILE", "kycdesk backup takes one argument, the new file to write: kycdesk backup FILE [--store URL]")
	}
	dest, err := filepath.Abs(pos[0])
	if err != nil {
		return usage(false, "FILE", err.Error())
	}
	f, err := config.Load(config.DefaultPath(io.Getenv), catalog.All())
	if err != nil {
		return fail(err, false)
	}
	url := storeURL(*store, io.Getenv, f)
	kind, _, err := session.StoreKind(url)
	if err != nil {
		return usage(false, "--store", err.Error())
	}
	if kind == "postgres" {
		fmt.Fprintf(io.Out, `The store is PostgreSQL (%s): back it up with PostgreSQL's own tools, e.g.
  pg_dump --format=custom --file %s '%s'
and restore with pg_restore. Keep the store key (%s or its file) apart
from the dump: the dump holds no key, and without the key the audit chain
cannot be verified.
`, session.RedactURL(url), dest, session.RedactURL(url), session.KeyEnv)
		return exitCode(exitOther)
	}
	if _, err := os.Lstat(dest); err == nil {
		return usage(false, "FILE", fmt.Sprintf("%s exists; give a new file (a backup never overwrites)", dest))
	}
	st, err := openStore(url, io.Getenv)
	if err != nil {
		return fail(err, false)
	}
	defer st.Close()
	raw, ok := st.(interface{ SQL() *sql.DB })
	if !ok {
		return fail(fmt.Errorf("the store %s cannot be copied by this command", st.Location()), false)
	}
	ctx := context.Background()
	if err := vacuumInto(ctx, raw.SQL(), dest); err != nil {
		return fail(fmt.Errorf("backup of %s: %w", st.Location(), err), false)
	}
	r, n, err := checkBackup(ctx, dest, io.Getenv)
	if err != nil {
		return fail(fmt.Errorf("the backup %s does not check out (it is kept for inspection): %w", dest, err), false)
	}
	fmt.Fprintf(io.Out, "backup %s: %d sessions, %d events, integrity ok, MAC chain intact (copied from %s)\n",
		dest, n, r.Events, st.Location())
	fmt.Fprintf(io.Out, "the store key is not in the backup: keep it (%s) apart, or the chain cannot be verified\n", keyWhere(io.Getenv))
	return nil
}

// vacuumInto writes a consistent copy of the database to dest, a new
// file made private first (VACUUM INTO accepts an empty file).
func vacuumInto(ctx context.Context, db *sql.DB, dest string) error {
	out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	out.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		os.Remove(dest)
		return err
	}
	out, err = os.OpenFile(dest, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer out.Close()
	return out.Sync()
}

// checkBackup opens the copy as a store: SQLite's integrity check, the
// MAC chain under the store key, and the sessions it holds.
func checkBackup(ctx context.Context, path string, getenv func(string) string) (*session.ChainReport, int, error) {
	st, err := session.OpenStore("sqlite:"+path, getenv)
	if err != nil {
		return nil, 0, err
	}
	defer st.Close()
	if raw, ok := st.(interface{ SQL() *sql.DB }); ok {
		var res string
		if err := raw.SQL().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
			return nil, 0, err
		}
		if res != "ok" {
			return nil, 0, fmt.Errorf("integrity check: %s", providers.SanitizeLine(res))
		}
	}
	v, ok := st.(chainVerifier)
	if !ok {
		return nil, 0, errors.New("the copy keeps no MAC chain to verify")
	}
	r, err := v.Verify(ctx)
	if err != nil {
		return nil, 0, err
	}
	if b := r.Broken; b != nil {
		return nil, 0, fmt.Errorf("audit verify: the chain breaks at event %d (session %s): %s", b.Seq, b.Session, b.What)
	}
	n, err := st.Count(ctx, session.Query{})
	if err != nil {
		return nil, 0, err
	}
	return r, n, nil
}

// keyWhere says where the store key comes from, never the key.
func keyWhere(getenv func(string) string) string {
	if _, from, err := session.StoreKey(getenv); err == nil {
		if from == session.KeyEnv {
			return "$" + session.KeyEnv
		}
		return from
	}
	return "the store key"
}
