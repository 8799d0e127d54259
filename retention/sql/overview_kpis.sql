-- Headline numbers, from the activity rollup and its pre-counted tables (migrations 002, 013), never the order
-- lines. A purchase is an order line with quantity > 0; revenue is net of returns. "Active" means a purchase in
-- the 30 days up to the latest order timestamp. Orders are the distinct order ids with a purchase line: the
-- users' counts summed, less the repeats of an order id shared by users. Products are the distinct item codes
-- purchased, not counting codes kept out as non-products (their revenue still counts).
-- $kept_out: VARCHAR[], the non-product statuses kept out ('suggested', 'confirmed').
WITH
customers AS (
    SELECT last_purchase_ts, purchase_orders FROM rollup_users WHERE first_purchase_ts IS NOT NULL
),
latest AS (
    SELECT max(ts) AS as_of FROM orders
)
SELECT
    (SELECT count(*) FROM customers) AS customers,
    (SELECT count(*) FROM customers, latest WHERE last_purchase_ts > as_of - INTERVAL 30 DAY) AS active_30d,
    (
        (SELECT coalesce(sum(purchase_orders), 0) FROM customers)
        - (SELECT count(*) - count(DISTINCT order_id) FROM rollup_shared_orders)
    ) AS orders,
    (
        SELECT count(*) FROM rollup_items
        WHERE item_id NOT IN (SELECT item_id FROM non_products WHERE list_contains($kept_out, status))
    ) AS products,
    (SELECT coalesce(sum(revenue), 0) FROM rollup_order_periods WHERE grain = 'day') AS revenue,
    (SELECT coalesce(avg((purchase_orders >= 2)::INTEGER), 0) FROM customers) AS repeat_rate,
    (SELECT as_of FROM latest) AS as_of
