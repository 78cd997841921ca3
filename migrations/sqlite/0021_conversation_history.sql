-- What happened to each conversation, with who did it and when, written in the same transaction
-- as the change: reports read this and the messages, never the live-event log. Each row carries
-- the conversation's number, team and the member it counts for at that moment, so reports
-- filter without joining back to a conversation that has since moved on.
CREATE TABLE conversation_history (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('opened', 'reopened', 'assigned',
                        'team_changed', 'status_changed', 'first_reply', 'replied', 'resolved',
                        'window_lapsed', 'csat')),
    -- Who did it: a member, or NULL for the customer, the clock or Parley itself.
    actor_id        INTEGER REFERENCES users (id),
    -- The member it counts for: a reply's author; otherwise the assignee at the time.
    agent_id        INTEGER REFERENCES users (id),
    -- No foreign key: a deleted team's history stays.
    team_id         INTEGER,
    phone_number_id TEXT    NOT NULL,
    -- first_reply: seconds the customer waited; resolved: seconds since (re)opening;
    -- csat: the rating; assigned and team_changed: the new assignee or team.
    value           INTEGER,
    -- status_changed: the new status.
    detail          TEXT,
    at              INTEGER NOT NULL
);
CREATE INDEX conversation_history_by_time ON conversation_history (at, kind);
CREATE INDEX conversation_history_by_conversation ON conversation_history (conversation_id, id);
-- A lapsed window is recorded once, however many nodes' clocks notice it.
CREATE UNIQUE INDEX conversation_history_one_lapse ON conversation_history (conversation_id, at)
    WHERE kind = 'window_lapsed';

-- When the current piece of work began (opened or reopened), and since when the customer has
-- waited for the first reply of it (NULL once answered). Conversations from before history
-- began count as answered.
ALTER TABLE conversations ADD COLUMN cycle_started_at INTEGER;
ALTER TABLE conversations ADD COLUMN awaiting_first_reply_since INTEGER;
UPDATE conversations SET cycle_started_at = created_at;
