-- How many rows each feedback source has: rated items, purchase lines (quantity > 0), views and add-to-carts
-- (events of the given types) with an item id. Item codes kept out of products (non_products with a status in
-- $kept_out) do not count.
-- $kept_out: VARCHAR[], the non-product statuses kept out ('suggested', 'confirmed').
-- $view_events, $cart_events: VARCHAR[], the event types counted as views and as add-to-carts.
-- One row: rating_rows, purchase_rows, view_rows, cart_rows (BIGINT).
WITH kept_out AS (
    SELECT item_id FROM non_products WHERE list_contains($kept_out, status)
),
browsed AS (
    SELECT
        count(*) FILTER (WHERE list_contains($view_events, event_type)) AS view_rows,
        count(*) FILTER (WHERE list_contains($cart_events, event_type)) AS cart_rows
    FROM events
    WHERE item_id IS NOT NULL AND item_id NOT IN (SELECT item_id FROM kept_out)
)
SELECT
    (SELECT count(*) FROM ratings
     WHERE item_id IS NOT NULL AND item_id NOT IN (SELECT item_id FROM kept_out)) AS rating_rows,
    (SELECT count(*) FROM orders
     WHERE item_id IS NOT NULL AND quantity > 0 AND item_id NOT IN (SELECT item_id FROM kept_out)) AS purchase_rows,
    browsed.view_rows,
    browsed.cart_rows
FROM browsed
