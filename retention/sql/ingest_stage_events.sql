-- Check and type the events of a file into the temp table ingest_stage
-- (source select as in ingest_stage_orders.sql). reason is NULL for a loadable row.
CREATE TEMP TABLE ingest_stage AS
WITH typed AS (
    SELECT
        source_row,
        normalize_id(user_id) AS user_id,
        ts AS ts_text,
        parse_ts(ts, $ts_format) AS ts,
        clean_text(event_type) AS event_type,
        normalize_id(item_id) AS item_id,
        normalize_id(session_id) AS session_id
    FROM (
        -- @part source
    )
),
checked AS (
    SELECT
        *,
        CASE
            WHEN user_id IS NULL THEN 'missing user_id'
            WHEN ts IS NULL AND NOT present(ts_text) THEN 'missing ts'
            WHEN ts IS NULL THEN 'unparseable ts'
            WHEN event_type IS NULL THEN 'missing event_type'
        END AS reason
    FROM typed
)
SELECT
    user_id,
    ts,
    event_type,
    item_id,
    session_id,
    reason,
    CASE WHEN reason IS NOT NULL THEN CAST(to_json(source_row) AS VARCHAR) END AS raw
FROM checked
