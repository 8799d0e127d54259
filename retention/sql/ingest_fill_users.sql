-- Fill users from the loadable order lines of ingest_stage (an orders import that maps user columns).
-- One row per user_id. Each column is the value of the user's newest line that has one (by ts, then file
-- order: the stage's rowid): a customer who moved has the country of their latest order.
-- A user already in users keeps every column the file does not carry (NULL here): only values are set.
-- $batch_id: INTEGER, the users batch of this import. Returns the number of users written.
INSERT INTO users (user_id, signup_ts, country, channel, email, first_name, phone, sms_consent, batch_id)
SELECT
    user_id,
    max_by(signup_ts, row(ts, rowid)) FILTER (WHERE signup_ts IS NOT NULL),
    max_by(country, row(ts, rowid)) FILTER (WHERE country IS NOT NULL),
    max_by(channel, row(ts, rowid)) FILTER (WHERE channel IS NOT NULL),
    max_by(email, row(ts, rowid)) FILTER (WHERE email IS NOT NULL),
    max_by(first_name, row(ts, rowid)) FILTER (WHERE first_name IS NOT NULL),
    max_by(phone, row(ts, rowid)) FILTER (WHERE phone IS NOT NULL),
    max_by(sms_consent, row(ts, rowid)) FILTER (WHERE sms_consent IS NOT NULL),
    $batch_id
FROM ingest_stage
WHERE reason IS NULL
GROUP BY user_id
ON CONFLICT (user_id) DO UPDATE SET
    signup_ts = coalesce(excluded.signup_ts, users.signup_ts),
    country = coalesce(excluded.country, users.country),
    channel = coalesce(excluded.channel, users.channel),
    email = coalesce(excluded.email, users.email),
    first_name = coalesce(excluded.first_name, users.first_name),
    phone = coalesce(excluded.phone, users.phone),
    sms_consent = coalesce(excluded.sms_consent, users.sms_consent),
    batch_id = excluded.batch_id
