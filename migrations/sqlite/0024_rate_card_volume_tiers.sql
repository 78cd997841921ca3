-- Volume tiers: a rate may apply only from the month's n-th billable message to its country
-- (or, for '*', to the countries it prices) in its category; 0 from the first. The key
-- gains the tier, so a card lists each tier once per day it takes effect.
CREATE TABLE rate_card_tiers (
    country        TEXT   NOT NULL,
    category       TEXT   NOT NULL,
    effective_from INTEGER NOT NULL,
    volume_from    INTEGER NOT NULL DEFAULT 0 CHECK (volume_from >= 0),
    currency       TEXT   NOT NULL,
    rate_micros    INTEGER NOT NULL CHECK (rate_micros >= 0),
    PRIMARY KEY (country, category, effective_from, volume_from)
);
INSERT INTO rate_card_tiers (country, category, effective_from, volume_from, currency, rate_micros)
SELECT country, category, effective_from, 0, currency, rate_micros FROM rate_card;
DROP TABLE rate_card;
ALTER TABLE rate_card_tiers RENAME TO rate_card;
