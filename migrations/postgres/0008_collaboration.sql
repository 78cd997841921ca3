-- Team collaboration: conversation status grows `pending` and `snoozed` (until a time) and a
-- priority; internal notes with mentions, notifications, labels, canned replies and presence.

ALTER TABLE conversations DROP CONSTRAINT conversations_status_check;
ALTER TABLE conversations ADD CONSTRAINT conversations_status_check
    CHECK (status IN ('open', 'pending', 'snoozed', 'resolved'));
-- 0 none, 1 low, 2 medium, 3 high, 4 urgent: sorts as it reads.
ALTER TABLE conversations ADD COLUMN priority BIGINT NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 4);
ALTER TABLE conversations ADD COLUMN snoozed_until BIGINT;
ALTER TABLE conversations ADD CONSTRAINT conversations_snooze_has_a_time
    CHECK ((status = 'snoozed') = (snoozed_until IS NOT NULL));

-- One unresolved conversation per customer and business number.
DROP INDEX conversations_one_open;
CREATE UNIQUE INDEX conversations_one_open ON conversations (contact_id, phone_number_id) WHERE status <> 'resolved';
CREATE INDEX conversations_by_priority ON conversations (priority DESC, last_message_at DESC, id DESC);
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE labels (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL,
    -- The name folded to lower case: one label per name, whatever its case.
    name_key    TEXT    NOT NULL UNIQUE,
    colour      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);

CREATE TABLE conversation_labels (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    label_id        BIGINT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, label_id)
);
CREATE INDEX conversation_labels_by_label ON conversation_labels (label_id, conversation_id);

CREATE TABLE notes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    author_id       BIGINT NOT NULL REFERENCES users (id),
    body            TEXT    NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX notes_by_conversation ON notes (conversation_id, id);

CREATE TABLE note_mentions (
    note_id BIGINT NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (note_id, user_id)
);

CREATE TABLE notifications (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('mention', 'snooze_ended')),
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    note_id         BIGINT REFERENCES notes (id),
    actor_id        BIGINT REFERENCES users (id),
    created_at      BIGINT NOT NULL,
    read_at         BIGINT
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE canned_replies (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- NULL: shared with the whole team (admins manage it); else one member's own.
    owner_id            BIGINT REFERENCES users (id),
    shortcut            TEXT    NOT NULL,
    title               TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    -- An uploaded file sent with the reply (a media_files row of a member's upload).
    attachment_media_id TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX canned_replies_shared ON canned_replies (shortcut) WHERE owner_id IS NULL;
CREATE UNIQUE INDEX canned_replies_personal ON canned_replies (owner_id, shortcut) WHERE owner_id IS NOT NULL;

-- Who has a conversation open, and what they are doing there, until when.
CREATE TABLE presence (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    user_id         BIGINT NOT NULL REFERENCES users (id),
    activity        TEXT    NOT NULL CHECK (activity IN ('viewing', 'replying', 'noting')),
    expires_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- Presence events matter only while live: swept after a while, found by this index.
CREATE INDEX domain_events_presence ON domain_events (created_at) WHERE kind = 'presence_changed';
