-- The cost ledger: one row per message Meta priced (the first status carrying `pricing`;
-- repeats change nothing), with the recipient's country. Who sent it (campaign, member) is
-- the message's, joined by wamid when reporting, so a status that arrives first is counted too.
CREATE TABLE message_charges (
    wamid           TEXT    NOT NULL PRIMARY KEY,
    phone_number_id TEXT    NOT NULL,
    -- ISO 3166-1 alpha-2 from the recipient's calling code; '' when it has none.
    country         TEXT    NOT NULL,
    -- Meta's category: marketing, marketing_lite, utility, authentication,
    -- authentication_international, service, referral_conversion, …
    category        TEXT    NOT NULL,
    -- regular, free_customer_service, free_entry_point, …
    pricing_type    TEXT    NOT NULL,
    billable        BOOLEAN NOT NULL,
    occurred_at     BIGINT  NOT NULL
);
CREATE INDEX message_charges_by_time ON message_charges (occurred_at);

-- What Meta charges per billable message, per recipient country ('*': every country not
-- listed) and category, from a date on. Rates are millionths of the currency unit.
CREATE TABLE rate_card (
    country        TEXT   NOT NULL,
    category       TEXT   NOT NULL,
    effective_from BIGINT NOT NULL,
    currency       TEXT   NOT NULL,
    rate_micros    BIGINT NOT NULL CHECK (rate_micros >= 0),
    PRIMARY KEY (country, category, effective_from)
);
