-- Check and type the users of a file into the temp table ingest_stage
-- (source select as in ingest_stage_orders.sql). Duplicate ids are resolved by ingest_load_users.sql.
-- sms_consent is yes/no text (true/false, yes/no, 1/0: parse_bool); anything else rejects the row.
CREATE TEMP TABLE ingest_stage AS
WITH typed AS (
    SELECT
        source_row,
        user_id AS user_id_text,
        normalize_id(user_id) AS user_id,
        signup_ts AS signup_ts_text,
        parse_ts(signup_ts, $ts_format) AS signup_ts,
        clean_text(country) AS country,
        clean_text(channel) AS channel,
        clean_text(email) AS email,
        clean_text(first_name) AS first_name,
        clean_text(phone) AS phone,
        sms_consent AS sms_consent_text,
        parse_bool(sms_consent) AS sms_consent
    FROM (
        -- @part source
    )
),
checked AS (
    SELECT
        *,
        coalesce(
            id_problem(user_id_text, user_id, 'user_id', true),
            ts_problem(signup_ts_text, signup_ts, $ts_format, 'signup_ts', $ts_earliest, $ts_latest),
            bool_problem(sms_consent_text, sms_consent, 'sms_consent')
        ) AS reason
    FROM typed
)
SELECT
    user_id,
    signup_ts,
    country,
    channel,
    email,
    first_name,
    phone,
    sms_consent,
    reason,
    CASE WHEN reason IS NOT NULL THEN CAST(to_json(source_row) AS VARCHAR) END AS raw
FROM checked
