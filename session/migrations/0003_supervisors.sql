-- Who launched each session and when its first verdict came, for the
-- reports, the supervisors' board and the launch quotas. The columns are
-- filled in by triggers (dialect.go) from the events the store appends,
-- so that they follow whatever writes the sessions table.
ALTER TABLE sessions ADD COLUMN operator TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN desk TEXT NOT NULL DEFAULT '';
-- The first final status (approved, denied, suspected, expired); a later
-- verdict that supersedes it does not move it. NULL until then.
ALTER TABLE sessions ADD COLUMN final_at BIGINT;

-- The sessions written before this version: the actor of their first
-- intent (num is its seq), the time of their first final status.
UPDATE sessions SET
    operator = coalesce((SELECT e.operator FROM events e WHERE e.seq = sessions.num), ''),
    desk = coalesce((SELECT e.desk FROM events e WHERE e.seq = sessions.num), '');
UPDATE sessions SET final_at = (SELECT min(e.at) FROM events e WHERE e.session_id = sessions.id AND e.kind = 'status'
    AND {{event_state}} IN ('approved', 'denied', 'suspected', 'expired'))
WHERE state IN ('approved', 'denied', 'suspected', 'expired');

{{report_columns}}

-- A report's range of creation times, read from the index alone.
CREATE INDEX sessions_report ON sessions (created_at, provider, desk, operator, state, final_at, active_until);
-- The quotas' counts: a desk's or an operator's launches since a time.
CREATE INDEX sessions_desk ON sessions (desk, created_at);
CREATE INDEX sessions_operator ON sessions (operator, created_at);
