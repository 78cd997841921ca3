-- Contacts as a CRM: what the team knows about a customer beyond what WhatsApp tells, custom
-- attributes admins define, labels on contacts, and the key that finds one customer however
-- their phone is spelt.

-- `name` stays the WhatsApp profile name (intake keeps it current); `edited_name` is the one a
-- member gave, shown in its place.
ALTER TABLE contacts ADD COLUMN edited_name TEXT;
ALTER TABLE contacts ADD COLUMN email TEXT;
ALTER TABLE contacts ADD COLUMN company TEXT;
ALTER TABLE contacts ADD COLUMN language TEXT;
ALTER TABLE contacts ADD COLUMN time_zone TEXT;
ALTER TABLE contacts ADD COLUMN note TEXT NOT NULL DEFAULT '';
-- `wa_id` as `parley_app::contacts::phone_key` folds it: Brazilian mobiles without their ninth
-- digit, Mexican mobiles without the 1 after 52 (the same rule, written in SQL once here).
ALTER TABLE contacts ADD COLUMN phone_key TEXT;
UPDATE contacts SET phone_key = CASE
    WHEN wa_id LIKE '55%' AND length(wa_id) = 13 AND substr(wa_id, 5, 1) = '9'
        THEN substr(wa_id, 1, 4) || substr(wa_id, 6)
    WHEN wa_id LIKE '521%' AND length(wa_id) = 13 THEN '52' || substr(wa_id, 4)
    ELSE wa_id END
WHERE wa_id IS NOT NULL;
CREATE INDEX contacts_by_phone_key ON contacts (phone_key);

CREATE TABLE contact_attributes (
    key            TEXT    PRIMARY KEY,
    label          TEXT    NOT NULL,
    kind           TEXT    NOT NULL
        CHECK (kind IN ('text', 'number', 'date', 'list', 'checkbox', 'url')),
    -- A JSON array of a list attribute's choices.
    options        TEXT    NOT NULL DEFAULT '[]',
    agent_editable INTEGER NOT NULL DEFAULT 1,
    position       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);

-- Values in their attribute type's canonical text form (see `AttributeDefinition`).
CREATE TABLE contact_attribute_values (
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    key        TEXT    NOT NULL REFERENCES contact_attributes (key) ON DELETE CASCADE,
    value      TEXT    NOT NULL,
    PRIMARY KEY (contact_id, key)
);
CREATE INDEX contact_attribute_values_by_value ON contact_attribute_values (key, value, contact_id);

CREATE TABLE contact_labels (
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    label_id   INTEGER NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, label_id)
);
CREATE INDEX contact_labels_by_label ON contact_labels (label_id, contact_id);
