-- The outbox: a message and its send job are written in one transaction; the sender drains it.
CREATE TABLE outbox (
    message_id      INTEGER PRIMARY KEY REFERENCES messages (id),
    phone_number_id TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    request         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
