-- The rows of a file being imported into orders, its mapped columns under their canonical names (a part
-- filled into the "-- @part source" slot of ingest_stage_orders.sql). The reader part reads the file; each row is
-- also kept whole as source_row (a struct keyed by the file's own column names) for the reject log.
-- Parameters: $source_order_id, $source_user_id, $source_item_id, $source_ts, $source_quantity, $source_unit_price, $source_discount, $source_title, $source_category, $source_brand, $source_price, $source_description, $source_signup_ts, $source_country, $source_channel, $source_email, $source_first_name, $source_phone, $source_sms_consent:
-- VARCHAR, the file column mapped to that canonical column, or NULL when none is.
SELECT
    file_column(retention_file_row, $source_order_id) AS order_id,
    file_column(retention_file_row, $source_user_id) AS user_id,
    file_column(retention_file_row, $source_item_id) AS item_id,
    file_column(retention_file_row, $source_ts) AS ts,
    file_column(retention_file_row, $source_quantity) AS quantity,
    file_column(retention_file_row, $source_unit_price) AS unit_price,
    file_column(retention_file_row, $source_discount) AS discount,
    file_column(retention_file_row, $source_title) AS title,
    file_column(retention_file_row, $source_category) AS category,
    file_column(retention_file_row, $source_brand) AS brand,
    file_column(retention_file_row, $source_price) AS price,
    file_column(retention_file_row, $source_description) AS description,
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
