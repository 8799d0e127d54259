-- The rows of a file being imported into users, its mapped columns under their canonical names (a part
-- filled into the "-- @part source" slot of ingest_stage_users.sql). The reader part reads the file; each row is
-- also kept whole as source_row (a struct keyed by the file's own column names) for the reject log.
-- Parameters: $source_user_id, $source_signup_ts, $source_country, $source_channel, $source_email,
-- $source_first_name, $source_phone, $source_sms_consent:
-- VARCHAR, the file column mapped to that canonical column, or NULL when none is.
SELECT
    file_column(retention_file_row, $source_user_id) AS user_id,
    file_column(retention_file_row, $source_signup_ts) AS signup_ts,
    file_column(retention_file_row, $source_country) AS country,
    file_column(retention_file_row, $source_channel) AS channel,
    file_column(retention_file_row, $source_email) AS email,
    file_column(retention_file_row, $source_first_name) AS first_name,
    file_column(retention_file_row, $source_phone) AS phone,
    file_column(retention_file_row, $source_sms_consent) AS sms_consent,
    retention_file_row AS source_row
FROM
    -- @part reader
    AS retention_file_row
