-- Reports' running totals: history marks and messages counted per UTC day, number, team and
-- member, so a report sums a few rows a day instead of scanning every step and message. A
-- roll-up follows the history and the domain-event log in id order (ids grow in commit order)
-- and records how far it has counted in the same transaction as the totals. Team and member
-- 0 mean none (ids start at 1), so each total has one key.
CREATE TABLE report_daily_marks (
    day             INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    phone_number_id TEXT    NOT NULL,
    team_id         INTEGER NOT NULL,
    agent_id        INTEGER NOT NULL,
    marks           INTEGER NOT NULL,
    PRIMARY KEY (day, kind, phone_number_id, team_id, agent_id)
) WITHOUT ROWID;

-- Messages counted for the number, team and member their conversation had when counted.
CREATE TABLE report_daily_messages (
    day             INTEGER NOT NULL,
    direction       TEXT    NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    phone_number_id TEXT    NOT NULL,
    team_id         INTEGER NOT NULL,
    agent_id        INTEGER NOT NULL,
    messages        INTEGER NOT NULL,
    PRIMARY KEY (day, direction, phone_number_id, team_id, agent_id)
) WITHOUT ROWID;

-- How far the totals count: history rows and domain events up to these ids.
CREATE TABLE report_rollup (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    history_id INTEGER NOT NULL,
    event_id   INTEGER NOT NULL
);

INSERT INTO report_daily_marks (day, kind, phone_number_id, team_id, agent_id, marks)
SELECT at / 86400000 * 86400000, kind, phone_number_id, COALESCE(team_id, 0),
       COALESCE(agent_id, 0), COUNT(*)
FROM conversation_history
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO report_daily_messages (day, direction, phone_number_id, team_id, agent_id, messages)
SELECT m.sent_at / 86400000 * 86400000, m.direction, c.phone_number_id, COALESCE(c.team_id, 0),
       COALESCE(c.assignee_id, 0), COUNT(*)
FROM messages m JOIN conversations c ON c.id = m.conversation_id
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO report_rollup (id, history_id, event_id)
VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM conversation_history),
           (SELECT COALESCE(MAX(id), 0) FROM domain_events));

-- The edges of a period (part days) are counted from the rows themselves; these indexes hold
-- every column those counts and the measured values read.
DROP INDEX conversation_history_by_time;
CREATE INDEX conversation_history_by_time
    ON conversation_history (at, kind, phone_number_id, team_id, agent_id);
CREATE INDEX conversation_history_measured
    ON conversation_history (kind, at, value, phone_number_id, team_id, agent_id)
    WHERE value IS NOT NULL;
CREATE INDEX messages_by_time ON messages (sent_at, direction);
