-- Every API key record, oldest first: key_id, name, prefix, key_hash, salt, created_at, revoked_at.
SELECT key_id, name, prefix, key_hash, salt, created_at, revoked_at
FROM api_keys
ORDER BY key_id
