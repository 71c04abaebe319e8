package migrations

import "strings"

// This file is every difference between the SQL the two stores run: the
// migrations share their text and fill in these tokens, and the store's
// queries use the few statements below. Everything else is the same SQL.

// SQLite is the embedded store's dialect (modernc.org/sqlite).
var SQLite = Dialect{
	Name: "sqlite",
	tokens: map[string]string{
		// INTEGER PRIMARY KEY is the rowid: inserts take the next one.
		"serial_key": "INTEGER PRIMARY KEY",
		// The rowid itself, so a scan in creation order reads one b-tree.
		"row_key": "INTEGER PRIMARY KEY",
		// Text compares byte by byte already (BINARY).
		"binary":             "",
		"append_only_events": sqliteNoUpdate + ";\n" + sqliteNoDelete + ";",
		// The filter's index: FTS5 trigrams of sessions.search, kept in
		// step by triggers.
		"text_index": `CREATE VIRTUAL TABLE session_search USING fts5(search, content='sessions', content_rowid='num', tokenize='trigram');
` + sqliteSearchInsert + `;
CREATE TRIGGER sessions_search_update AFTER UPDATE OF search ON sessions WHEN old.search <> new.search BEGIN
    INSERT INTO session_search (session_search, rowid, search) VALUES ('delete', old.num, old.search);
    INSERT INTO session_search (rowid, search) VALUES (new.num, new.search);
END;`,
		// A status event's state (events.data is JSON).
		"event_state": "json_extract(e.data, '$.state')",
		// sessions.operator, desk and final_at (0003) follow the events:
		// the actor of the first intent when a session is inserted, the
		// time of the event that first makes it final.
		"report_columns": `CREATE TRIGGER sessions_report_insert AFTER INSERT ON sessions
WHEN new.state IN ('approved', 'denied', 'suspected', 'expired')
    OR (SELECT e.operator || e.desk FROM events e WHERE e.seq = new.num) <> '' BEGIN
    UPDATE sessions SET
        operator = coalesce((SELECT e.operator FROM events e WHERE e.seq = new.num), ''),
        desk = coalesce((SELECT e.desk FROM events e WHERE e.seq = new.num), ''),
        final_at = CASE WHEN new.state IN ('approved', 'denied', 'suspected', 'expired') THEN
            (SELECT min(e.at) FROM events e WHERE e.session_id = new.id AND e.kind = 'status'
                AND json_extract(e.data, '$.state') IN ('approved', 'denied', 'suspected', 'expired')) END
    WHERE num = new.num;
END;
CREATE TRIGGER sessions_report_final AFTER UPDATE OF state ON sessions
WHEN new.final_at IS NULL AND new.state IN ('approved', 'denied', 'suspected', 'expired') BEGIN
    UPDATE sessions SET final_at = (SELECT e.at FROM events e WHERE e.seq = new.last_seq) WHERE num = new.num;
END;`,
	},
	// A bulk load (an import, the benchmarks' history) indexes the
	// sessions once at the end instead of one by one, with a larger cache.
	BulkStart: []string{"PRAGMA cache_size = -65536", "DROP TRIGGER sessions_search_insert"},
	BulkEnd: []string{sqliteSearchInsert, "INSERT INTO session_search (session_search) VALUES ('rebuild')",
		"PRAGMA cache_size = -2000"},
	// Writers are serialised by BEGIN IMMEDIATE (the connection's
	// _txlock), which takes the database's write lock at once.
	Lock:          "",
	Notify:        "",
	Channel:       "",
	AppendOnlyOff: []string{"DROP TRIGGER IF EXISTS events_no_update", "DROP TRIGGER IF EXISTS events_no_delete"},
	AppendOnlyOn:  []string{sqliteNoUpdate, sqliteNoDelete},
	// VACUUM rebuilds the file without the freed pages; the WAL, which
	// holds the old pages' images, is emptied before and after.
	Purge: []string{"PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"},
}

const (
	sqliteNoUpdate = `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`
	sqliteNoDelete = `CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`
)

const sqliteSearchInsert = `CREATE TRIGGER sessions_search_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO session_search (rowid, search) VALUES (new.num, new.search);
END`

// Postgres is the shared store's dialect (github.com/jackc/pgx/v5).
var Postgres = Dialect{
	Name: "postgres",
	tokens: map[string]string{
		"serial_key": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
		"row_key":    "BIGINT PRIMARY KEY",
		// Byte order whatever the database's locale, so that an id prefix
		// is a range of the index.
		"binary": `COLLATE "C"`,
		"append_only_events": `CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END $$;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();`,
		// The filter's index: pg_trgm, which answers LIKE '%word%'. The
		// extension is created in public when the database lacks it
		// (that takes the database owner's rights); the index names its
		// operator class wherever the extension is.
		"text_index": `DO $$
DECLARE
    ext_schema text;
BEGIN
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        CREATE EXTENSION pg_trgm WITH SCHEMA public;
        ext_schema := 'public';
    END IF;
    EXECUTE format('CREATE INDEX sessions_search ON sessions USING gin (search %I.gin_trgm_ops)', ext_schema);
END $$;`,
		"event_state": "(e.data::jsonb ->> 'state')",
		// See SQLite's: one BEFORE trigger sets the row's own columns.
		"report_columns": `CREATE FUNCTION sessions_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT e.operator, e.desk INTO NEW.operator, NEW.desk FROM events e WHERE e.seq = NEW.num;
        NEW.operator := coalesce(NEW.operator, '');
        NEW.desk := coalesce(NEW.desk, '');
    END IF;
    IF NEW.final_at IS NULL AND NEW.state IN ('approved', 'denied', 'suspected', 'expired') THEN
        IF TG_OP = 'INSERT' THEN
            NEW.final_at := (SELECT min(e.at) FROM events e WHERE e.session_id = NEW.id AND e.kind = 'status'
                AND (e.data::jsonb ->> 'state') IN ('approved', 'denied', 'suspected', 'expired'));
        ELSE
            NEW.final_at := (SELECT e.at FROM events e WHERE e.seq = NEW.last_seq);
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER sessions_report BEFORE INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_report();`,
	},
	// Transactions are READ COMMITTED; a transaction-scoped advisory lock
	// per session (and per customer for the duplicate guard) orders the
	// writers that touch the same thing, on every machine.
	Lock:        "SELECT pg_advisory_xact_lock($1)",
	TryLock:     "SELECT pg_try_advisory_xact_lock($1)",
	TryLockFunc: "pg_try_advisory_xact_lock",
	// A bulk load leaves the planner's statistics behind; without them it
	// reads a filter's common words through the trigram index instead of
	// the newest sessions first.
	BulkEnd: []string{"ANALYZE sessions"},
	// Delivered to every listener when the transaction commits. A batch
	// of writes (group commit) tells its sessions in one round trip.
	WriteCTE: true,
	Notify:   "SELECT pg_notify($1, $2)",
	// It returns the notifying backend's pid, which the notifications
	// carry: the store knows its own when the feed brings them back.
	NotifyMany: "SELECT max(pg_backend_pid()) FROM (SELECT pg_notify($1, x) FROM unnest(string_to_array($2, ',')) AS x) n",
	// The table's owner (the store's user) may switch its triggers.
	AppendOnlyOff: []string{"ALTER TABLE events DISABLE TRIGGER events_no_change"},
	AppendOnlyOn:  []string{"ALTER TABLE events ENABLE TRIGGER events_no_change"},
	// The rewritten rows' old versions leave the tables' files.
	Purge: []string{"VACUUM FULL events", "VACUUM FULL session_docs", "VACUUM FULL sessions"},
	// One channel per schema, so that stores in different schemas of one
	// database do not hear each other.
	Channel: "SELECT 'kycdesk:' || current_schema()",
}

// MinIndexedWord is the shortest filter word the text indexes find
// (trigrams); shorter words are looked for in every session.
const MinIndexedWord = 3

// TextFilter is how a filter's words are looked for in sessions.search
// (lower case): the tables to read from instead of "sessions s", the
// condition, and the column that orders the matches newest first. arg
// adds an argument and returns its placeholder.
func (d Dialect) TextFilter(words []string, arg func(any) string) (from, cond, order string) {
	var long, short []string
	for _, w := range words {
		if len([]rune(w)) >= MinIndexedWord {
			long = append(long, w)
		} else {
			short = append(short, w)
		}
	}
	var conds []string
	from, order = "sessions s", "s.num"
	switch d.Name {
	case "sqlite":
		// An FTS5 trigram index: each word a phrase, all of them required.
		if len(long) > 0 {
			var phrases []string
			for _, w := range long {
				phrases = append(phrases, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
			}
			from = "session_search JOIN sessions s ON s.num = session_search.rowid"
			order = "session_search.rowid"
			conds = append(conds, "session_search MATCH "+arg(strings.Join(phrases, " ")))
		}
	case "postgres":
		// LIKE, which the pg_trgm index answers for words of three
		// characters or more.
		short = words
	}
	for _, w := range short {
		conds = append(conds, "s.search LIKE "+arg("%"+escapeLike(w)+"%")+` ESCAPE '\'`)
	}
	return from, strings.Join(conds, " AND "), order
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
