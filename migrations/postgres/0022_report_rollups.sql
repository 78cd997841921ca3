-- Reports' running totals: history marks and messages counted per UTC day, number, team and
-- member, so a report sums a few rows a day instead of scanning every step and message. A
-- roll-up follows the history and the domain-event log in id order and records how far it has
-- counted in the same transaction as the totals. Team and member 0 mean none (ids start at 1),
-- so each total has one key.
CREATE TABLE report_daily_marks (
    day             BIGINT NOT NULL,
    kind            TEXT   NOT NULL,
    phone_number_id TEXT   NOT NULL,
    team_id         BIGINT NOT NULL,
    agent_id        BIGINT NOT NULL,
    marks           BIGINT NOT NULL,
    PRIMARY KEY (day, kind, phone_number_id, team_id, agent_id)
);

-- Messages counted for the number, team and member their conversation had when counted.
CREATE TABLE report_daily_messages (
    day             BIGINT NOT NULL,
    direction       TEXT   NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    phone_number_id TEXT   NOT NULL,
    team_id         BIGINT NOT NULL,
    agent_id        BIGINT NOT NULL,
    messages        BIGINT NOT NULL,
    PRIMARY KEY (day, direction, phone_number_id, team_id, agent_id)
);

-- How far the totals count: history rows and domain events up to these ids.
CREATE TABLE report_rollup (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    history_id BIGINT  NOT NULL,
    event_id   BIGINT  NOT NULL
);

-- History ids are given at commit, as the domain events' are (migration 0018), so that the
-- roll-up, following them in id order, never passes a row that commits late.
CREATE SEQUENCE conversation_history_order;
DO $$
DECLARE
    given BIGINT;
BEGIN
    EXECUTE format('SELECT last_value FROM %s',
                   pg_get_serial_sequence('conversation_history', 'id'))
        INTO given;
    PERFORM setval('conversation_history_order',
                   GREATEST(given, COALESCE((SELECT MAX(id) FROM conversation_history), 0), 1));
END $$;
ALTER TABLE conversation_history ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE conversation_history_provisional;
ALTER TABLE conversation_history
    ALTER COLUMN id SET DEFAULT -nextval('conversation_history_provisional');

CREATE FUNCTION conversation_history_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7220601);
    UPDATE conversation_history SET id = nextval('conversation_history_order')
    WHERE id = NEW.id;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER conversation_history_in_commit_order AFTER INSERT
    ON conversation_history DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION conversation_history_in_commit_order();

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
CREATE INDEX conversation_history_by_time ON conversation_history (at, kind)
    INCLUDE (phone_number_id, team_id, agent_id);
CREATE INDEX conversation_history_measured ON conversation_history (kind, at)
    INCLUDE (value, phone_number_id, team_id, agent_id) WHERE value IS NOT NULL;
CREATE INDEX messages_by_time ON messages (sent_at, direction);
