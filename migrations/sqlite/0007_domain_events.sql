-- The live-event log becomes the domain-event log: every change writes typed events (`payload`
-- holds the event as JSON, `kind` its type) that the live hub, and later the automations,
-- reports and ledgers, consume. Older rows, written before events were typed, are kept so that
-- ids keep growing; readers skip them.
ALTER TABLE live_events RENAME TO domain_events;
