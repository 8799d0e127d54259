-- Check and type the events of a file into the temp table ingest_stage
-- (source select as in ingest_stage_orders.sql). reason is NULL for a loadable row.
CREATE TEMP TABLE ingest_stage AS
WITH typed AS (
    SELECT
        source_row,
        user_id AS user_id_text,
        normalize_id(user_id) AS user_id,
        ts AS ts_text,
        parse_ts(ts, $ts_format) AS ts,
        clean_text(event_type) AS event_type,
        item_id AS item_id_text,
        normalize_id(item_id) AS item_id,
        session_id AS session_id_text,
        normalize_id(session_id) AS session_id
    FROM (
        -- @part source
    )
),
checked AS (
    SELECT
        *,
        coalesce(
            id_problem(user_id_text, user_id, 'user_id', true),
            CASE WHEN ts IS NULL AND NOT present(ts_text) THEN 'missing ts' END,
            ts_problem(ts_text, ts, $ts_format, 'ts', $ts_earliest, $ts_latest),
            CASE WHEN event_type IS NULL THEN 'missing event_type' END,
            id_problem(item_id_text, item_id, 'item_id', false),
            id_problem(session_id_text, session_id, 'session_id', false)
        ) AS reason
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
