-- The default time-split cutoff of a feedback source: the timestamp before which 1 - $test_share of its events lie
-- (NULL when they have no timestamps). Events of several sources pool (the combined feedback).
-- Item codes kept out of products (non_products with a status in $kept_out) do not count.
-- $test_share: DOUBLE in (0, 1).   $kept_out: VARCHAR[], the non-product statuses kept out.
-- $ratings, $purchases: BOOLEAN, whether rated items and purchase lines (quantity > 0) count.
-- $event_types: VARCHAR[], the event types that count (empty: none).
-- The quantile is taken of epoch microseconds, so that Spark's percentile_disc (numbers only) runs it too.
WITH kept_out AS (
    SELECT item_id FROM non_products WHERE list_contains($kept_out, status)
),
stamps AS (
    SELECT ts, item_id FROM ratings WHERE $ratings AND item_id IS NOT NULL
    UNION ALL
    SELECT ts, item_id FROM orders WHERE $purchases AND item_id IS NOT NULL AND quantity > 0
    UNION ALL
    SELECT ts, item_id FROM events WHERE list_contains($event_types, event_type) AND item_id IS NOT NULL
)
SELECT make_timestamp(CAST(quantile_disc(epoch_us(ts), 1 - $test_share) AS BIGINT)) AS cutoff
FROM stamps
WHERE item_id NOT IN (SELECT item_id FROM kept_out)
