-- Event ids are given at commit. Readers follow the log by id, so ids must become visible in
-- id order; a writer used to take the log's lock at its first event and hold it to commit,
-- so a transaction that then waited for a row held by another writer, itself waiting for the
-- lock, deadlocked (a send recorded while a reply was queued, on one node or several). Now an
-- event is inserted with a provisional negative id, and a deferred trigger, which runs as the
-- transaction commits and holds no further wait, takes the lock and gives each event its id.
CREATE SEQUENCE domain_events_order;
DO $$
DECLARE
    given BIGINT;
BEGIN
    EXECUTE format('SELECT last_value FROM %s', pg_get_serial_sequence('domain_events', 'id'))
        INTO given;
    PERFORM setval('domain_events_order',
                   GREATEST(given, COALESCE((SELECT MAX(id) FROM domain_events), 0), 1));
END $$;
ALTER TABLE domain_events ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE domain_events_provisional;
ALTER TABLE domain_events ALTER COLUMN id SET DEFAULT -nextval('domain_events_provisional');

CREATE FUNCTION domain_events_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7220601);
    UPDATE domain_events SET id = nextval('domain_events_order') WHERE id = NEW.id;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER domain_events_in_commit_order AFTER INSERT ON domain_events
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION domain_events_in_commit_order();
