-- Business numbers' health, as the Graph API and Meta's webhooks report it, with its history;
-- and the account's standing (restrictions, violations, bans) from `account_update`.

ALTER TABLE business_numbers ADD COLUMN name_status TEXT;
ALTER TABLE business_numbers ADD COLUMN throughput_level TEXT;
ALTER TABLE business_numbers ADD COLUMN code_verification_status TEXT;
ALTER TABLE business_numbers ADD COLUMN platform_type TEXT;
ALTER TABLE business_numbers ADD COLUMN status TEXT;
ALTER TABLE business_numbers ADD COLUMN refreshed_at BIGINT;

-- One row per value that changed, whoever reported it; `phone_number_id` is empty for a
-- change to the account as a whole.
CREATE TABLE number_changes (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone_number_id TEXT    REFERENCES business_numbers (phone_number_id),
    waba_id         TEXT,
    field           TEXT    NOT NULL,
    old_value       TEXT,
    new_value       TEXT,
    source          TEXT    NOT NULL CHECK (source IN ('graph', 'webhook')),
    detail          TEXT,
    changed_at      BIGINT NOT NULL
);
CREATE INDEX number_changes_by_number ON number_changes (phone_number_id, id);

CREATE TABLE account_standing (
    waba_id      TEXT PRIMARY KEY,
    -- JSON array of {restriction_type, expiration}.
    restrictions TEXT NOT NULL DEFAULT '[]',
    violation    TEXT,
    ban_state    TEXT,
    updated_at   BIGINT NOT NULL
);
