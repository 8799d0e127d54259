-- Implicit feedback from counted interactions before $end (all of them when $end is NULL): one row per user and
-- item with a weighted count s > 0, scored min(5, 1 + log2(1 + s)), where
--   s = $view_weight x views + $add_to_cart_weight x add-to-carts + $purchase_weight x orders that bought the item
-- (views and add-to-carts: events of the types in $view_events and $cart_events; orders: distinct order ids with
-- a line of quantity > 0). A weight of 0 leaves its interactions out, times included.
-- Item codes kept out of products (non_products with a status in $kept_out) are left out.
-- $end: TIMESTAMP or NULL, the first moment not used.   $kept_out: VARCHAR[], the non-product statuses kept out.
-- $view_events, $cart_events: VARCHAR[], event types.   $view_weight, $add_to_cart_weight, $purchase_weight: DOUBLE >= 0.
WITH interactions AS (
    SELECT user_id, item_id, ts,
        CASE WHEN list_contains($view_events, event_type) THEN $view_weight ELSE $add_to_cart_weight END AS weight
    FROM events
    WHERE item_id IS NOT NULL AND ($end IS NULL OR ts < $end)
      AND ((list_contains($view_events, event_type) AND $view_weight > 0)
        OR (list_contains($cart_events, event_type) AND $add_to_cart_weight > 0))
    UNION ALL
    SELECT user_id, item_id, min(ts) AS ts, $purchase_weight AS weight
    FROM orders
    WHERE $purchase_weight > 0 AND item_id IS NOT NULL AND quantity > 0 AND ($end IS NULL OR ts < $end)
    GROUP BY user_id, item_id, order_id
)
SELECT
    user_id,
    item_id,
    least(5, 1 + log2(1 + sum(weight)))::DOUBLE AS rating,
    min(ts) AS first_ts,
    max(ts) AS ts
FROM interactions
WHERE item_id NOT IN (SELECT item_id FROM non_products WHERE list_contains($kept_out, status))
GROUP BY user_id, item_id
ORDER BY user_id, item_id
