-- Automation rules, in the order they are judged, as admins wrote them (the API's JSON,
-- checked on saving). A rule that breaks later (its team or label deleted) is disabled with
-- the reason shown.
CREATE TABLE automations (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    enabled         INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    rule            TEXT    NOT NULL,
    disabled_reason TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Each rule's judgement of each event it was set off by: whether it matched and why, and
-- what it did. One per rule and event: a second look (another node, after a crash) is a
-- no-op.
CREATE TABLE automation_runs (
    id              INTEGER PRIMARY KEY,
    automation_id   INTEGER NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL,
    conversation_id INTEGER,
    matched         INTEGER NOT NULL,
    acted           INTEGER NOT NULL,
    reasons         TEXT    NOT NULL,
    actions         TEXT    NOT NULL,
    at              INTEGER NOT NULL,
    UNIQUE (automation_id, event_id)
);
CREATE INDEX automation_runs_newest ON automation_runs (automation_id, id);
CREATE INDEX automation_runs_in_conversation ON automation_runs (conversation_id, automation_id, at);

-- How far the automation worker has judged the domain-event log (it starts from now).
CREATE TABLE automation_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    event_id INTEGER NOT NULL
);
INSERT INTO automation_cursor (id, event_id)
VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM domain_events));

-- What an automation sent: the thread shows "Automation", and the spam guard counts them.
ALTER TABLE messages ADD COLUMN automation_id INTEGER;
CREATE INDEX messages_by_automation ON messages (conversation_id, created_at)
    WHERE automation_id IS NOT NULL;
