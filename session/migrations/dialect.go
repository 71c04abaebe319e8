package migrations

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
		"binary": "",
		"append_only_events": `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;`,
	},
	// Writers are serialised by BEGIN IMMEDIATE (the connection's
	// _txlock), which takes the database's write lock at once.
	Lock:    "",
	Notify:  "",
	Channel: "",
}

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
	},
	// Transactions are READ COMMITTED; a transaction-scoped advisory lock
	// per session (and per customer for the duplicate guard) orders the
	// writers that touch the same thing, on every machine.
	Lock: "SELECT pg_advisory_xact_lock($1)",
	// Delivered to every listener when the transaction commits.
	Notify: "SELECT pg_notify($1, $2)",
	// One channel per schema, so that stores in different schemas of one
	// database do not hear each other.
	Channel: "SELECT 'kycdesk:' || current_schema()",
}
