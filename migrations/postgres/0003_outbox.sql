-- The outbox: a message and its send job are written in one transaction; the sender drains it.
CREATE TABLE outbox (
    message_id      BIGINT PRIMARY KEY REFERENCES messages (id),
    phone_number_id TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    request         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
