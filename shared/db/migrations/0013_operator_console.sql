-- The operator console and the admin API's named operators: accounts with a role and a hashed access token,
-- sign-in sessions (shared by every gateway instance), the audit trail of every change, and each VEN's
-- online/offline history (written by presence_svc with the transition).

CREATE TABLE operators (
    operator_id  text PRIMARY KEY,                 -- the public half of the access token
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('viewer', 'operator')),
    token_hash   text NOT NULL,                    -- scrypt of the secret half, with its salt and parameters
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    disabled_at  timestamptz
);
CREATE UNIQUE INDEX operators_name_key ON operators (name) WHERE disabled_at IS NULL;

-- A signed-in browser. Only the SHA-256 of the cookie's random value is kept; the bootstrap admin
-- (VTN_ADMIN_TOKEN) has no operator row, hence operator_id NULL.
CREATE TABLE operator_sessions (
    session_hash  bytea PRIMARY KEY,
    operator_id   text REFERENCES operators (operator_id) ON DELETE CASCADE,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

-- Every change made through the admin API or the console, with who made it and how it ended.
CREATE TABLE operator_audit (
    id           bigserial PRIMARY KEY,
    message_id   text NOT NULL UNIQUE,             -- the id of its record on oadr.operator.audit.v1
    occurred_at  timestamptz NOT NULL,
    actor        text NOT NULL,
    role         text NOT NULL,
    via          text NOT NULL,                    -- token or session
    action       text NOT NULL,                    -- e.g. "POST /api/v1/events"
    target       text,
    status       integer NOT NULL,
    detail       jsonb
);
CREATE INDEX operator_audit_occurred_at ON operator_audit (occurred_at DESC, id DESC);
CREATE INDEX operator_audit_actor ON operator_audit (actor, id DESC);

-- Each VEN's transitions online/offline, newest first per VEN; purged with VTN_PRESENCE_HISTORY_DAYS.
CREATE TABLE ven_presence_history (
    id          bigserial PRIMARY KEY,
    ven_id      text NOT NULL,
    online      boolean NOT NULL,
    last_seen   timestamptz NOT NULL,
    changed_at  timestamptz NOT NULL
);
CREATE INDEX ven_presence_history_ven ON ven_presence_history (ven_id, id DESC);
CREATE INDEX ven_presence_history_changed_at ON ven_presence_history (changed_at);

-- The VEN list's search: venID and venName prefixes, case-insensitive on the name.
CREATE INDEX vens_ven_id_pattern ON vens (ven_id text_pattern_ops);
CREATE INDEX vens_ven_name_lower_pattern ON vens (lower(ven_name) text_pattern_ops);
