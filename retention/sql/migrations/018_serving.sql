-- Serving results to the shop's own systems: promoted recommender runs and API keys.
CREATE SEQUENCE promotion_seq START 1;

-- One row per promotion of a recommender run; the serving run is the newest one not demoted.
CREATE TABLE promotions (
    promotion_id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,             -- model_runs.run_id
    k INTEGER NOT NULL,                  -- list length precomputed per customer
    snapshot VARCHAR NOT NULL,           -- the snapshot folder's name written for it (see retention.serve)
    customers INTEGER NOT NULL,          -- customers with a precomputed list
    promoted_at TIMESTAMP NOT NULL,
    demoted_at TIMESTAMP                 -- NULL while it serves (or until a later promotion replaces it)
);

CREATE SEQUENCE api_key_seq START 1;

-- Keys of the HTTP API: only a salted SHA-256 of each key is kept; the key itself is shown once, at creation.
CREATE TABLE api_keys (
    key_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,               -- who uses it, e.g. 'storefront'
    prefix VARCHAR NOT NULL,             -- the key's first 8 characters, to tell keys apart in lists
    key_hash VARCHAR NOT NULL UNIQUE,    -- hex SHA-256 of salt || key
    salt VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP                 -- NULL while the key is valid
);
