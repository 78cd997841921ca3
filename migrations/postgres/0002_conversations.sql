-- Webhook intake, contacts, conversations and messages.

-- Every verified webhook body, committed before Meta gets its 200 and processed afterwards.
CREATE TABLE webhook_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- SHA-256 of the raw body: Meta's redeliveries are byte-identical, so they collapse here.
    body_digest     TEXT    NOT NULL UNIQUE,
    body            BYTEA   NOT NULL,
    received_at     BIGINT NOT NULL,
    processed_at    BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    lease_until     BIGINT,
    last_error      TEXT
);
CREATE INDEX webhook_events_pending ON webhook_events (id) WHERE processed_at IS NULL;

-- Template, quality and account updates, for the features that read them.
CREATE TABLE account_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    waba_id     TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX account_events_field ON account_events (field, id);

CREATE TABLE business_numbers (
    phone_number_id      TEXT    PRIMARY KEY,
    waba_id              TEXT,
    display_phone_number TEXT,
    verified_name        TEXT,
    quality_rating       TEXT,
    created_at           BIGINT NOT NULL
);

-- A customer, known by phone (wa_id), business-scoped user id (bsuid), or both.
CREATE TABLE contacts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wa_id      TEXT    UNIQUE,
    bsuid      TEXT    UNIQUE,
    name       TEXT,
    username   TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (wa_id IS NOT NULL OR bsuid IS NOT NULL)
);

CREATE TABLE conversations (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id           BIGINT NOT NULL REFERENCES contacts (id),
    phone_number_id      TEXT    NOT NULL REFERENCES business_numbers (phone_number_id),
    status               TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    assignee_id          BIGINT REFERENCES users (id),
    last_message_at      BIGINT NOT NULL,
    window_expires_at    BIGINT,
    unread_count         BIGINT NOT NULL DEFAULT 0,
    last_message_preview TEXT,
    created_at           BIGINT NOT NULL
);
-- One open conversation per customer and business number.
CREATE UNIQUE INDEX conversations_one_open ON conversations (contact_id, phone_number_id) WHERE status = 'open';
CREATE INDEX conversations_contact ON conversations (contact_id, phone_number_id, last_message_at);
CREATE INDEX conversations_by_activity ON conversations (last_message_at DESC, id DESC);
CREATE INDEX conversations_by_window ON conversations (window_expires_at, id);

CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    -- Unique: a redelivered message can never be stored twice. NULL until Meta accepts a send.
    wamid           TEXT    UNIQUE,
    direction       TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    kind            TEXT    NOT NULL,
    body            TEXT,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    status_rank     BIGINT NOT NULL,
    sent_at         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    reply_to_wamid  TEXT,
    media_id        TEXT,
    media_mime_type TEXT,
    filename        TEXT,
    error_code      BIGINT,
    error_title     TEXT,
    error_details   TEXT,
    author_id       BIGINT REFERENCES users (id),
    edited_at       BIGINT,
    deleted_at      BIGINT
);
CREATE INDEX messages_thread ON messages (conversation_id, sent_at, id);

-- One reaction per side on a message, keyed by wamid: it may arrive before its target.
CREATE TABLE reactions (
    target_wamid TEXT    NOT NULL,
    direction    TEXT    NOT NULL,
    emoji        TEXT    NOT NULL,
    reacted_at   BIGINT NOT NULL,
    PRIMARY KEY (target_wamid, direction)
);

-- Every delivery status Meta reported, kept even when the message is not (yet) known.
CREATE TABLE message_statuses (
    wamid         TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    occurred_at   BIGINT NOT NULL,
    error_code    BIGINT,
    error_title   TEXT,
    error_details TEXT,
    conversation  TEXT,
    pricing       TEXT,
    received_at   BIGINT NOT NULL,
    PRIMARY KEY (wamid, status)
);

-- Inbound media to fetch from Meta and keep under PARLEY_DATA_DIR.
CREATE TABLE media_files (
    media_id        TEXT    PRIMARY KEY,
    mime_type       TEXT,
    sha256          TEXT,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'stored', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    path            TEXT,
    size_bytes      BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX media_files_due ON media_files (next_attempt_at) WHERE state = 'pending';

-- What browsers are told, in order; ids are the server-sent-event ids.
CREATE TABLE live_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT    NOT NULL,
    conversation_id BIGINT,
    message_id      BIGINT,
    payload         TEXT,
    created_at      BIGINT NOT NULL
);
