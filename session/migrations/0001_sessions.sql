-- The session history. Times are milliseconds since the Unix epoch (UTC).
-- The words in double braces are the few dialect differences, filled in by
-- dialect.go.

-- events is the audit trail: inserted, never updated or deleted.
CREATE TABLE events (
    seq        {{serial_key}},
    session_id TEXT {{binary}} NOT NULL DEFAULT '', -- '' for an audit entry about no session
    kind       TEXT NOT NULL,              -- intent, outcome, status, resolved, audit
    at         BIGINT NOT NULL,
    operator   TEXT NOT NULL DEFAULT '',   -- who acted (see session.Actor)
    desk       TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL               -- the event as JSON
);
CREATE INDEX events_session ON events (session_id, seq);

{{append_only_events}}

-- sessions is the folded view the queries read, one row per session,
-- kept in step with events in the transaction that appends to them.
CREATE TABLE sessions (
    num           {{row_key}},             -- creation order: the seq of its first intent
    id            TEXT {{binary}} NOT NULL UNIQUE, -- compared byte by byte: prefixes are ranges
    provider      TEXT NOT NULL,
    mode          TEXT NOT NULL,
    customer      TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    active_until  BIGINT,                  -- pending until then (its expiry, or forever); NULL once final
    sending_until BIGINT,                  -- a request may be under way until then
    last_seq      BIGINT NOT NULL,         -- its last event
    search        TEXT NOT NULL            -- what a filter matches, lower case
);
CREATE INDEX sessions_mode ON sessions (mode, num);
CREATE INDEX sessions_customer ON sessions (customer, provider, mode);
CREATE INDEX sessions_state ON sessions (state);
-- Covers the home screen's counts: only the sessions still active are read.
CREATE INDEX sessions_active ON sessions (active_until, state, sending_until, mode);

-- What a filter looks for, by word.
{{text_index}}

-- session_docs holds the rest of each folded session (values, references,
-- URL, history, last error…) as JSON, apart so that scans stay small.
CREATE TABLE session_docs (
    num {{row_key}},
    doc TEXT NOT NULL
);

-- refs finds a session by a provider reference (scanRef, TransactionId…).
CREATE TABLE refs (
    value TEXT {{binary}} NOT NULL,
    num   BIGINT NOT NULL,
    PRIMARY KEY (value, num)
);

-- meta holds store-wide facts: the fingerprint key check, the import.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
