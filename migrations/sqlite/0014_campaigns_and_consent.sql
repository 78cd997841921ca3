-- Broadcast campaigns and the consent ledger.

-- Append-only: a contact's consent for a purpose is their latest entry. Utility and
-- authentication messages need none, so `marketing` is the only purpose recorded.
CREATE TABLE consent_entries (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    purpose     TEXT    NOT NULL CHECK (purpose IN ('marketing')),
    state       TEXT    NOT NULL CHECK (state IN ('opted_in', 'opted_out')),
    source      TEXT    NOT NULL
        CHECK (source IN ('import', 'api', 'agent', 'keyword', 'webhook', 'campaign_failure')),
    actor_id    INTEGER REFERENCES users (id),
    note        TEXT,
    -- JSON: the message, import file and line, or campaign and Meta error behind the entry.
    evidence    TEXT,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX consent_entries_latest ON consent_entries (contact_id, purpose, id);

-- Whole-message opt-out keywords, stored folded (`parley_app::consent::fold`), and the
-- confirmation sent in each language.
CREATE TABLE opt_out_languages (
    language     TEXT PRIMARY KEY,
    confirmation TEXT NOT NULL
);
CREATE TABLE opt_out_keywords (
    keyword  TEXT PRIMARY KEY,
    language TEXT NOT NULL REFERENCES opt_out_languages (language) ON DELETE CASCADE
);

-- Meta answered 131026 (not on WhatsApp): campaigns leave the contact out until they write.
ALTER TABLE contacts ADD COLUMN unreachable_at INTEGER;

CREATE TABLE campaigns (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    phone_number_id   TEXT    NOT NULL REFERENCES business_numbers (phone_number_id),
    template_name     TEXT    NOT NULL,
    template_language TEXT    NOT NULL,
    -- MARKETING, UTILITY or AUTHENTICATION when the campaign was written.
    template_category TEXT    NOT NULL,
    -- JSON array of parameter sources (`{{contact.name}}`, `{{attr.key}}`, literals).
    parameters        TEXT    NOT NULL,
    header_media_id   TEXT,
    -- `parley_app::campaigns::Audience` as JSON.
    audience          TEXT    NOT NULL,
    state             TEXT    NOT NULL
        CHECK (state IN ('draft', 'scheduled', 'sending', 'paused', 'completed', 'cancelled')),
    pause_reason      TEXT,
    scheduled_at      INTEGER,
    started_at        INTEGER,
    finished_at       INTEGER,
    created_by        INTEGER REFERENCES users (id),
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX campaigns_due ON campaigns (state, scheduled_at);

-- Fixed when the campaign starts; `pending` ones are handed to the outbox a few seconds ahead
-- of the sender.
CREATE TABLE campaign_recipients (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'queued', 'skipped_no_consent',
        'skipped_opted_out', 'skipped_frequency_cap', 'skipped_no_whatsapp',
        'skipped_missing_data', 'cancelled')),
    message_id  INTEGER REFERENCES messages (id),
    replied_at  INTEGER,
    PRIMARY KEY (campaign_id, contact_id)
);
CREATE INDEX campaign_recipients_by_state ON campaign_recipients (campaign_id, state, contact_id);
CREATE INDEX campaign_recipients_by_message ON campaign_recipients (message_id);
CREATE INDEX campaign_recipients_by_contact ON campaign_recipients (contact_id);

ALTER TABLE messages ADD COLUMN campaign_id INTEGER REFERENCES campaigns (id);
-- The template's category when a template was sent: the frequency cap counts MARKETING.
ALTER TABLE messages ADD COLUMN template_category TEXT;
CREATE INDEX messages_marketing ON messages (conversation_id, created_at)
    WHERE template_category = 'MARKETING';
CREATE INDEX messages_by_campaign ON messages (campaign_id) WHERE campaign_id IS NOT NULL;

-- Members' messages go before campaigns' (0 first).
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

INSERT INTO opt_out_languages (language, confirmation) VALUES
    ('en', 'You will no longer receive marketing messages from us. Reply START to subscribe again.'),
    ('zh', '您已退订，我们将不再向您发送营销信息。回复 START 可重新订阅。'),
    ('es', 'Ya no recibirás mensajes de marketing. Responde START para suscribirte de nuevo.'),
    ('pt', 'Você não receberá mais mensagens de marketing. Responda START para voltar a receber.'),
    ('ar', 'لن تتلقى رسائل تسويقية منا بعد الآن. أرسل START للاشتراك مجددًا.'),
    ('de', 'Sie erhalten keine Marketingnachrichten mehr von uns. Antworten Sie START, um sie wieder zu erhalten.'),
    ('fr', 'Vous ne recevrez plus nos messages marketing. Répondez START pour vous réabonner.');
INSERT INTO opt_out_keywords (keyword, language) VALUES
    ('stop', 'en'), ('unsubscribe', 'en'), ('stop all', 'en'), ('opt out', 'en'), ('optout', 'en'),
    ('退订', 'zh'), ('取消订阅', 'zh'), ('td', 'zh'),
    ('baja', 'es'), ('darme de baja', 'es'), ('cancelar suscripción', 'es'),
    ('sair', 'pt'), ('parar', 'pt'), ('cancelar', 'pt'), ('descadastrar', 'pt'),
    ('إلغاء', 'ar'), ('الغاء', 'ar'), ('توقف', 'ar'),
    ('abmelden', 'de'), ('abbestellen', 'de'),
    ('désabonner', 'fr'), ('désinscription', 'fr');
