-- Record a new API key (its salted hash only); returns its id.
-- $name: VARCHAR   $prefix: VARCHAR   $key_hash: VARCHAR (hex SHA-256 of salt || key)   $salt: VARCHAR
INSERT INTO api_keys (key_id, name, prefix, key_hash, salt, created_at)
VALUES (nextval('api_key_seq'), $name, $prefix, $key_hash, $salt, now()::TIMESTAMP)
RETURNING key_id
