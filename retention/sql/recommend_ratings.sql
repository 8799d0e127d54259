-- Explicit feedback before $end (all ratings when $end is NULL): one row per user and item,
-- the latest rating when a user rated an item more than once (ratings without a timestamp count as oldest).
-- Item codes kept out of products (non_products with a status in $kept_out) are left out.
-- $end: TIMESTAMP or NULL, the first moment not used   $kept_out: VARCHAR[], the non-product statuses kept out.
SELECT
    user_id,
    item_id,
    arg_max(rating, coalesce(ts, TIMESTAMP '1900-01-01'))::DOUBLE AS rating,
    min(ts) AS first_ts,
    max(ts) AS ts
FROM ratings
WHERE item_id IS NOT NULL AND ($end IS NULL OR ts < $end)
    AND item_id NOT IN (SELECT item_id FROM non_products WHERE list_contains($kept_out, status))
GROUP BY user_id, item_id
ORDER BY user_id, item_id
