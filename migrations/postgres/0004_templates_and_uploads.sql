-- Message templates and their approval story; media uploaded by agents; send order.

-- Each template of the business's WABAs as last seen at Meta (by sync or webhook).
CREATE TABLE templates (
    id              TEXT    PRIMARY KEY,
    waba_id         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    quality         TEXT,
    rejected_reason TEXT,
    components      TEXT    NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_sent_at    BIGINT
);
CREATE INDEX templates_by_name ON templates (waba_id, name, language);

-- Every status, quality or category change of a template, from webhooks, syncs and Parley.
CREATE TABLE template_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    template_id TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('submitted', 'status', 'quality', 'category', 'deleted')),
    value       TEXT    NOT NULL,
    reason      TEXT,
    source      TEXT    NOT NULL CHECK (source IN ('webhook', 'sync', 'parley')),
    occurred_at BIGINT NOT NULL
);
CREATE INDEX template_events_by_template ON template_events (template_id, id);

-- Media an agent uploaded: sent by Meta media id, shown from the local copy, and reused for
-- the same file on the same number (Meta keeps uploads for 30 days).
ALTER TABLE media_files ADD COLUMN uploaded_for TEXT;
ALTER TABLE media_files ADD COLUMN filename TEXT;
CREATE INDEX media_files_uploads ON media_files (sha256, uploaded_for) WHERE uploaded_for IS NOT NULL;

-- A customer's messages leave in queue order: a claim skips jobs behind a held-back one.
CREATE INDEX outbox_per_customer ON outbox (phone_number_id, recipient, message_id) WHERE state = 'pending';
