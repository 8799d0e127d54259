-- The rows of a file being imported into events, its mapped columns under their canonical names (a part
-- filled into the "-- @part source" slot of ingest_stage_events.sql). The reader part reads the file; each row is
-- also kept whole as source_row (a struct keyed by the file's own column names) for the reject log.
-- Parameters: $source_user_id, $source_ts, $source_event_type, $source_item_id, $source_session_id:
-- VARCHAR, the file column mapped to that canonical column, or NULL when none is.
SELECT
    file_column(retention_file_row, $source_user_id) AS user_id,
    file_column(retention_file_row, $source_ts) AS ts,
    file_column(retention_file_row, $source_event_type) AS event_type,
    file_column(retention_file_row, $source_item_id) AS item_id,
    file_column(retention_file_row, $source_session_id) AS session_id,
    retention_file_row AS source_row
FROM
    -- @part reader
    AS retention_file_row
