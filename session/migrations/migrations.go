// Package migrations holds the session store's schema: versioned SQL
// files embedded in the binary, applied in order when a store is opened,
// the same text for SQLite and PostgreSQL except for the tokens that
// dialect.go fills in.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed *.sql
var files embed.FS

// Dialect is what differs between the databases.
type Dialect struct {
	Name   string
	tokens map[string]string
	// Lock, when not empty, takes a lock held until the transaction ends;
	// $1 is a 64-bit key.
	Lock string
	// TryLock, with Lock, takes that lock only if no other transaction
	// holds it, without waiting; it returns whether it did.
	TryLock string
	// TryLockFunc is the SQL function TryLock calls, for statements that
	// take the lock and read in one round trip ("" where there is none).
	TryLockFunc string
	// WriteCTE: a WITH clause may insert and update (PostgreSQL), so that
	// a write's event, row and document go in one statement.
	WriteCTE bool
	// Notify, when not empty, tells other processes that a session
	// changed when the transaction commits; $1 is the channel, $2 the id.
	// NotifyMany does the same for several ids, $2 joined by commas.
	Notify, NotifyMany string
	// Channel, when not empty, is the query that names the channel.
	Channel string
	// BulkStart and BulkEnd run at the start and the end of a bulk
	// load's transaction.
	BulkStart, BulkEnd []string
	// AppendOnlyOff and AppendOnlyOn lift and restore the events table's
	// append-only triggers, inside a migration's transaction: the one
	// place events are rewritten (sealing the chain, cleaning what an
	// earlier release imported), itself recorded.
	AppendOnlyOff, AppendOnlyOn []string
	// Purge runs after a migration rewrote events, outside a
	// transaction: the old bytes leave the database's files (a backup or
	// a stolen disk would otherwise still hold them).
	Purge []string
}

// Migration is one schema version.
type Migration struct {
	Version int
	Name    string // the file
	SQL     string // the dialect's text
}

// Table records the versions applied. Its text is the same for both.
const Table = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at BIGINT NOT NULL
)`

var fileName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`) })
var token = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{\{([a-z_]+)\}\}`) })

// List returns d's migrations in version order.
func (d Dialect) List() ([]Migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, name := range names {
		m := fileName().FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("migration %s: the name is not NNNN_words.sql", name)
		}
		v, _ := strconv.Atoi(m[1])
		if len(out) > 0 && out[len(out)-1].Version == v {
			return nil, fmt.Errorf("migration %s: version %d twice", name, v)
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var missing []string
		text := token().ReplaceAllStringFunc(string(b), func(t string) string {
			k := t[2 : len(t)-2]
			r, ok := d.tokens[k]
			if !ok {
				missing = append(missing, k)
			}
			return r
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("migration %s: %s has no %s", name, d.Name, strings.Join(missing, ", "))
		}
		out = append(out, Migration{Version: v, Name: name, SQL: text})
	}
	return out, nil
}
