-- A business number's messaging limit (Meta's `messaging_limit_tier`: unique customers it may
-- reach with business-initiated messages per rolling 24 hours), and the index that counts
-- whom its templates reached.
ALTER TABLE business_numbers ADD COLUMN messaging_limit_tier TEXT;
CREATE INDEX messages_templates_sent ON messages (created_at)
    WHERE direction = 'outbound' AND kind = 'template';
