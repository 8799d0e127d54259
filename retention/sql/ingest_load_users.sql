-- Upsert the loadable rows of ingest_stage into users, one row per user_id.
-- Within the file the latest row of an id wins (the stage's rowid follows the file's order); across imports the newest import wins.
-- Only the columns the file maps are written: $mapped_<column> (BOOLEAN) says whether the file maps it. A mapped column
-- overwrites the stored value, an empty value included (it becomes NULL); an unmapped one keeps the stored value
-- (a new user_id gets NULL there). $batch_id: INTEGER. Returns the number of users written.
INSERT INTO users (user_id, signup_ts, country, channel, email, first_name, phone, sms_consent, batch_id)
SELECT user_id, signup_ts, country, channel, email, first_name, phone, sms_consent, $batch_id
FROM ingest_stage
WHERE reason IS NULL
QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY rowid DESC) = 1
ON CONFLICT (user_id) DO UPDATE SET
    signup_ts = CASE WHEN $mapped_signup_ts THEN excluded.signup_ts ELSE users.signup_ts END,
    country = CASE WHEN $mapped_country THEN excluded.country ELSE users.country END,
    channel = CASE WHEN $mapped_channel THEN excluded.channel ELSE users.channel END,
    email = CASE WHEN $mapped_email THEN excluded.email ELSE users.email END,
    first_name = CASE WHEN $mapped_first_name THEN excluded.first_name ELSE users.first_name END,
    phone = CASE WHEN $mapped_phone THEN excluded.phone ELSE users.phone END,
    sms_consent = CASE WHEN $mapped_sms_consent THEN excluded.sms_consent ELSE users.sms_consent END,
    batch_id = excluded.batch_id
