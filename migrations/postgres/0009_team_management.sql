-- Running the team from the browser: one-time set-password links, sessions that end when a
-- password changes, members' notification settings, and the audit log.

-- Sessions begun before this moment are over (a password was reset or changed). An invited
-- member has an empty password_hash until they use their link: it never verifies.
ALTER TABLE users ADD COLUMN sessions_valid_from BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN notify_mention BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN notify_snooze_ended BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE password_links (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT  NOT NULL REFERENCES users (id),
    -- Hex SHA-256 of the link's secret: the link itself is shown once and never stored.
    token_digest TEXT    NOT NULL UNIQUE,
    purpose      TEXT    NOT NULL CHECK (purpose IN ('invite', 'reset')),
    created_by   BIGINT  REFERENCES users (id),
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    used_at      BIGINT
);
CREATE INDEX password_links_user ON password_links (user_id);

-- Append-only: Parley inserts and reads, and has no statement that changes or deletes a row.
CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT  NOT NULL,
    -- NULL: not a signed-in member (the command line, a failed sign-in, the sandbox seed).
    actor_id   BIGINT  REFERENCES users (id),
    -- Who, in words, as they were then (an email, "command line").
    actor      TEXT    NOT NULL,
    -- The client address, "command line" or "sandbox".
    origin     TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    -- What was acted on, e.g. "member 5", "label 3", "template order_update".
    target     TEXT    NOT NULL,
    -- What changed, as a JSON object.
    details    TEXT    NOT NULL
);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
