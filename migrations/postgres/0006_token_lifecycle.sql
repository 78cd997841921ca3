-- Personal API tokens get a name, an expiry and one-by-one revocation. Existing tokens keep
-- working until revoked (no expiry), under the name they were created without.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT 'token';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
