-- Check and type the ratings of a file into the temp table ingest_stage
-- (source select as in ingest_stage_orders.sql). A rating is a number from 1 to 5; ts is optional.
CREATE TEMP TABLE ingest_stage AS
WITH typed AS (
    SELECT
        source_row,
        normalize_id(user_id) AS user_id,
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
        CASE
            WHEN user_id IS NULL THEN 'missing user_id'
            WHEN item_id IS NULL THEN 'missing item_id'
            WHEN rating IS NULL AND NOT present(rating_text) THEN 'missing rating'
            WHEN rating IS NULL THEN 'non-numeric rating'
            WHEN rating NOT BETWEEN 1 AND 5 THEN 'rating outside 1-5'
            WHEN ts IS NULL AND present(ts_text) THEN 'unparseable ts'
        END AS reason
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
