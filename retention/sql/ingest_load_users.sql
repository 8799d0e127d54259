-- Upsert the loadable rows of ingest_stage into users, one row per user_id.
-- Within the file the latest row of an id wins (the stage's rowid follows the file's order); across imports the newest import wins.
INSERT OR REPLACE INTO users (user_id, signup_ts, country, channel, email, batch_id)
SELECT user_id, signup_ts, country, channel, email, $batch_id
FROM ingest_stage
WHERE reason IS NULL
QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY rowid DESC) = 1
