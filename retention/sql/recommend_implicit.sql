-- Implicit ratings on a 1-5 scale from purchase lines before $end (all lines when $end is NULL).
-- One row per user and item with at least one purchase (quantity > 0):
--   2 for one order, 3 for two, 4 for three or more;
--   +1 when the last purchase lies within $recent_days of the window's end;
--   -1 when some units were returned, -2 when at least half were; clipped to [1, 5].
-- Item codes kept out of products (non_products with a status in $kept_out) are left out.
-- $end: TIMESTAMP or NULL, the first moment not used   $recent_days: INTEGER, days.
-- $kept_out: VARCHAR[], the non-product statuses kept out ('suggested', 'confirmed').
WITH lines AS (
    SELECT user_id, item_id, order_id, ts, quantity
    FROM orders
    WHERE item_id IS NOT NULL AND ($end IS NULL OR ts < $end)
      AND item_id NOT IN (SELECT item_id FROM non_products WHERE list_contains($kept_out, status))
),
window_end AS (
    SELECT max(ts) AS end_ts FROM lines
),
per_pair AS (
    SELECT
        user_id,
        item_id,
        count(DISTINCT order_id) FILTER (WHERE quantity > 0) AS purchases,
        coalesce(sum(quantity) FILTER (WHERE quantity > 0), 0) AS bought,
        coalesce(-sum(quantity) FILTER (WHERE quantity < 0), 0) AS returned,
        min(ts) FILTER (WHERE quantity > 0) AS first_ts,
        max(ts) FILTER (WHERE quantity > 0) AS last_ts
    FROM lines
    GROUP BY user_id, item_id
)
SELECT
    user_id,
    item_id,
    least(5, greatest(1,
        2 + least(purchases - 1, 2)
        + CASE WHEN last_ts >= end_ts - to_days(CAST($recent_days AS INTEGER)) THEN 1 ELSE 0 END
        - CASE WHEN returned >= 0.5 * bought THEN 2 WHEN returned > 0 THEN 1 ELSE 0 END
    ))::DOUBLE AS rating,
    first_ts,
    last_ts AS ts
FROM per_pair, window_end
WHERE purchases > 0
ORDER BY user_id, item_id
