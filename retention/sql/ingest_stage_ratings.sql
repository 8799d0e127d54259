-- Check and type the ratings of a file into the temp table ingest_stage
-- (source select as in ingest_stage_orders.sql). A rating is a number from 1 to 5; ts is optional.
CREATE TEMP TABLE ingest_stage AS
WITH typed AS (
    SELECT
        source_row,
        user_id AS user_id_text,
        normalize_id(user_id) AS user_id,
        item_id AS item_id_text,
        normalize_id(item_id) AS item_id,
        rating AS rating_text,
        parse_number(rating) AS rating,
        ts AS ts_text,
        parse_ts(ts, $ts_format) AS ts
    FROM (
        -- @part source
    )
),
checked AS (
    SELECT
        *,
        coalesce(
            id_problem(user_id_text, user_id, 'user_id', true),
            id_problem(item_id_text, item_id, 'item_id', true),
            CASE WHEN rating IS NULL AND NOT present(rating_text) THEN 'missing rating' END,
            number_problem(rating_text, rating, 'rating'),
            CASE WHEN rating NOT BETWEEN 1 AND 5 THEN 'rating outside 1-5' END,
            ts_problem(ts_text, ts, $ts_format, 'ts', $ts_earliest, $ts_latest)
        ) AS reason
    FROM typed
)
SELECT
    user_id,
    item_id,
    rating,
    ts,
    reason,
    CASE WHEN reason IS NOT NULL THEN CAST(to_json(source_row) AS VARCHAR) END AS raw
FROM checked
