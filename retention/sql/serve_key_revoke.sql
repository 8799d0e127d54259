-- Revoke the API key $key_id (INTEGER) unless it is revoked already; returns the revoked row's key_id, name.
UPDATE api_keys SET revoked_at = now()::TIMESTAMP
WHERE key_id = $key_id AND revoked_at IS NULL
RETURNING key_id, name
