-- Redeliveries are recognised when an event is processed, no longer when it is stored: a
-- unique index on a random digest added writes to random pages of an ever-growing index to
-- every acknowledged webhook.

-- The first event with a body owns its digest; a later event with the same digest is a
-- byte-identical redelivery and is not applied again.
CREATE TABLE webhook_digests (
    digest   BLOB    PRIMARY KEY,
    event_id INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO webhook_digests (digest, event_id) SELECT unhex(body_digest), id FROM webhook_events;

-- SQLite cannot drop a UNIQUE column: the journal is rebuilt without it.
CREATE TABLE webhook_events_rebuilt (
    id              INTEGER PRIMARY KEY,
    body            BLOB    NOT NULL,
    received_at     INTEGER NOT NULL,
    processed_at    INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER,
    last_error      TEXT
);
INSERT INTO webhook_events_rebuilt (id, body, received_at, processed_at, attempts, lease_until, last_error)
    SELECT id, body, received_at, processed_at, attempts, lease_until, last_error FROM webhook_events;
DROP TABLE webhook_events;
ALTER TABLE webhook_events_rebuilt RENAME TO webhook_events;
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE processed_at IS NULL;
