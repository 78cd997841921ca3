-- Team collaboration: conversation status grows `pending` and `snoozed` (until a time) and a
-- priority; internal notes with mentions, notifications, labels, canned replies and presence.
--
-- SQLite cannot alter a CHECK constraint, so `conversations` is rebuilt. Migrations run on a
-- connection with foreign keys off (see `SqliteEngine::migrate`), so dropping the old table
-- touches no row that refers to it; other tables keep referring to it by name.

CREATE TABLE conversations_rebuilt (
    id                   INTEGER PRIMARY KEY,
    contact_id           INTEGER NOT NULL REFERENCES contacts (id),
    phone_number_id      TEXT    NOT NULL REFERENCES business_numbers (phone_number_id),
    status               TEXT    NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    assignee_id          INTEGER REFERENCES users (id),
    last_message_at      INTEGER NOT NULL,
    window_expires_at    INTEGER,
    unread_count         INTEGER NOT NULL DEFAULT 0,
    last_message_preview TEXT,
    created_at           INTEGER NOT NULL,
    -- 0 none, 1 low, 2 medium, 3 high, 4 urgent: sorts as it reads.
    priority             INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 4),
    snoozed_until        INTEGER,
    CHECK ((status = 'snoozed') = (snoozed_until IS NOT NULL))
);
INSERT INTO conversations_rebuilt (id, contact_id, phone_number_id, status, assignee_id,
    last_message_at, window_expires_at, unread_count, last_message_preview, created_at)
SELECT id, contact_id, phone_number_id, status, assignee_id, last_message_at, window_expires_at,
    unread_count, last_message_preview, created_at
FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_rebuilt RENAME TO conversations;

-- One unresolved conversation per customer and business number.
CREATE UNIQUE INDEX conversations_one_open ON conversations (contact_id, phone_number_id) WHERE status <> 'resolved';
CREATE INDEX conversations_contact ON conversations (contact_id, phone_number_id, last_message_at);
CREATE INDEX conversations_by_activity ON conversations (last_message_at DESC, id DESC);
CREATE INDEX conversations_by_window ON conversations (window_expires_at, id);
CREATE INDEX conversations_by_priority ON conversations (priority DESC, last_message_at DESC, id DESC);
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE labels (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    -- The name folded to lower case: one label per name, whatever its case.
    name_key    TEXT    NOT NULL UNIQUE,
    colour      TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE conversation_labels (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    label_id        INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (conversation_id, label_id)
);
CREATE INDEX conversation_labels_by_label ON conversation_labels (label_id, conversation_id);

CREATE TABLE notes (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    author_id       INTEGER NOT NULL REFERENCES users (id),
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX notes_by_conversation ON notes (conversation_id, id);

CREATE TABLE note_mentions (
    note_id INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (note_id, user_id)
);

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('mention', 'snooze_ended')),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    note_id         INTEGER REFERENCES notes (id),
    actor_id        INTEGER REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    read_at         INTEGER
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE canned_replies (
    id                  INTEGER PRIMARY KEY,
    -- NULL: shared with the whole team (admins manage it); else one member's own.
    owner_id            INTEGER REFERENCES users (id),
    shortcut            TEXT    NOT NULL,
    title               TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    -- An uploaded file sent with the reply (a media_files row of a member's upload).
    attachment_media_id TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX canned_replies_shared ON canned_replies (shortcut) WHERE owner_id IS NULL;
CREATE UNIQUE INDEX canned_replies_personal ON canned_replies (owner_id, shortcut) WHERE owner_id IS NOT NULL;

-- Who has a conversation open, and what they are doing there, until when.
CREATE TABLE presence (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    activity        TEXT    NOT NULL CHECK (activity IN ('viewing', 'replying', 'noting')),
    expires_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- Presence events matter only while live: swept after a while, found by this index.
CREATE INDEX domain_events_presence ON domain_events (created_at) WHERE kind = 'presence_changed';
