-- Two-factor sign-in (TOTP, RFC 6238): a member's secret once confirmed, one being set up,
-- the last step used (a code works once), ten one-time recovery codes, and the workspace's
-- policy on who must use it.

ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

CREATE TABLE recovery_codes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    -- Hex SHA-256 of the code (60 random bits): the codes themselves are shown once.
    code_digest TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Workspace-wide settings, one row per key.
CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    changed_at BIGINT NOT NULL
);
