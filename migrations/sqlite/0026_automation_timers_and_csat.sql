-- Since when the customer has waited for a member's reply: set by their message, cleared by a
-- member's (or the business phone's) reply. Automated and campaign messages do not answer.
-- Conversations waiting now start from their customer's latest message.
ALTER TABLE conversations ADD COLUMN customer_waiting_since INTEGER;
UPDATE conversations SET customer_waiting_since = (
    SELECT MAX(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.direction = 'inbound')
WHERE status <> 'resolved'
  AND (SELECT m.direction FROM messages m WHERE m.conversation_id = conversations.id
       ORDER BY m.id DESC LIMIT 1) = 'inbound';
CREATE INDEX conversations_waiting ON conversations (customer_waiting_since)
    WHERE customer_waiting_since IS NOT NULL;

-- When the customer last wrote (their message's time): how long a conversation has been quiet.
ALTER TABLE conversations ADD COLUMN customer_wrote_at INTEGER;
UPDATE conversations SET customer_wrote_at = (
    SELECT MAX(m.sent_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.direction = 'inbound')
WHERE status <> 'resolved';
CREATE INDEX conversations_quiet ON conversations (customer_wrote_at)
    WHERE customer_wrote_at IS NOT NULL;

-- A customer's rating of a resolved conversation (1 to 5; thumbs count 5 and 1), when it was
-- asked for, whether a comment is invited after the rating, and until when their next message
-- is kept as its comment.
ALTER TABLE conversations ADD COLUMN csat_asked_at INTEGER;
ALTER TABLE conversations ADD COLUMN csat_rating INTEGER CHECK (csat_rating BETWEEN 1 AND 5);
ALTER TABLE conversations ADD COLUMN csat_wants_comment INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN csat_comment TEXT;
ALTER TABLE conversations ADD COLUMN csat_comment_until INTEGER;

-- Runs of the clock's triggers have no event: they are about a moment (since when the
-- customer waited, when the window closes), one per rule, conversation and moment.
CREATE TABLE automation_runs_rebuilt (
    id              INTEGER PRIMARY KEY,
    automation_id   INTEGER NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    event_id        INTEGER,
    occasion_at     INTEGER,
    conversation_id INTEGER,
    matched         INTEGER NOT NULL,
    acted           INTEGER NOT NULL,
    reasons         TEXT    NOT NULL,
    actions         TEXT    NOT NULL,
    at              INTEGER NOT NULL,
    UNIQUE (automation_id, event_id),
    CHECK ((event_id IS NULL) <> (occasion_at IS NULL))
);
INSERT INTO automation_runs_rebuilt (id, automation_id, event_id, conversation_id, matched,
    acted, reasons, actions, at)
SELECT id, automation_id, event_id, conversation_id, matched, acted, reasons, actions, at
FROM automation_runs;
DROP TABLE automation_runs;
ALTER TABLE automation_runs_rebuilt RENAME TO automation_runs;
CREATE INDEX automation_runs_newest ON automation_runs (automation_id, id);
CREATE INDEX automation_runs_in_conversation ON automation_runs (conversation_id, automation_id, at);
CREATE UNIQUE INDEX automation_runs_one_per_occasion
    ON automation_runs (automation_id, conversation_id, occasion_at)
    WHERE occasion_at IS NOT NULL;

-- Notifications an automation sends, with its text.
CREATE TABLE notifications_rebuilt (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('mention', 'snooze_ended', 'automation')),
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    note_id         INTEGER REFERENCES notes (id),
    actor_id        INTEGER REFERENCES users (id),
    detail          TEXT,
    created_at      INTEGER NOT NULL,
    read_at         INTEGER
);
INSERT INTO notifications_rebuilt (id, user_id, kind, conversation_id, note_id, actor_id,
    created_at, read_at)
SELECT id, user_id, kind, conversation_id, note_id, actor_id, created_at, read_at
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_rebuilt RENAME TO notifications;
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
