-- Since when the customer has waited for a member's reply: set by their message, cleared by a
-- member's (or the business phone's) reply. Automated and campaign messages do not answer.
-- Conversations waiting now start from their customer's latest message.
ALTER TABLE conversations ADD COLUMN customer_waiting_since BIGINT;
UPDATE conversations SET customer_waiting_since = (
    SELECT MAX(m.created_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.direction = 'inbound')
WHERE status <> 'resolved'
  AND (SELECT m.direction FROM messages m WHERE m.conversation_id = conversations.id
       ORDER BY m.id DESC LIMIT 1) = 'inbound';
CREATE INDEX conversations_waiting ON conversations (customer_waiting_since)
    WHERE customer_waiting_since IS NOT NULL;

-- When the customer last wrote (their message's time): how long a conversation has been quiet.
ALTER TABLE conversations ADD COLUMN customer_wrote_at BIGINT;
UPDATE conversations SET customer_wrote_at = (
    SELECT MAX(m.sent_at) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.direction = 'inbound')
WHERE status <> 'resolved';
CREATE INDEX conversations_quiet ON conversations (customer_wrote_at)
    WHERE customer_wrote_at IS NOT NULL;

-- A customer's rating of a resolved conversation (1 to 5; thumbs count 5 and 1), when it was
-- asked for, whether a comment is invited after the rating, and until when their next message
-- is kept as its comment.
ALTER TABLE conversations ADD COLUMN csat_asked_at BIGINT;
ALTER TABLE conversations ADD COLUMN csat_rating BIGINT CHECK (csat_rating BETWEEN 1 AND 5);
ALTER TABLE conversations ADD COLUMN csat_wants_comment BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE conversations ADD COLUMN csat_comment TEXT;
ALTER TABLE conversations ADD COLUMN csat_comment_until BIGINT;

-- Runs of the clock's triggers have no event: they are about a moment (since when the
-- customer waited, when the window closes), one per rule, conversation and moment.
ALTER TABLE automation_runs ALTER COLUMN event_id DROP NOT NULL;
ALTER TABLE automation_runs ADD COLUMN occasion_at BIGINT;
ALTER TABLE automation_runs ADD CONSTRAINT automation_runs_event_or_occasion
    CHECK ((event_id IS NULL) <> (occasion_at IS NULL));
CREATE UNIQUE INDEX automation_runs_one_per_occasion
    ON automation_runs (automation_id, conversation_id, occasion_at)
    WHERE occasion_at IS NOT NULL;

-- Notifications an automation sends, with its text.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'snooze_ended', 'automation'));
ALTER TABLE notifications ADD COLUMN detail TEXT;
