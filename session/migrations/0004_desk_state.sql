-- desk_state is where each served desk was: the session on its screen (the
-- QR or the DWS code screen), so that after a serve restart or a dropped
-- connection the desk comes back to it. One row per desk name, replaced as
-- the desk moves; not part of the audit trail (it records no action).
CREATE TABLE desk_state (
    desk       TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    screen     TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
