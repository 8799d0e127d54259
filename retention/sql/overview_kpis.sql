-- Headline numbers. A purchase is an order line with quantity > 0; revenue is net of returns.
-- "Active" means a purchase in the 30 days up to the latest order timestamp. Products are the distinct
-- item codes purchased, not counting codes kept out as non-products (their revenue still counts).
-- $kept_out: VARCHAR[], the non-product statuses kept out ('suggested', 'confirmed').
WITH purchases AS (
    SELECT user_id, order_id, ts FROM orders WHERE quantity > 0
),
per_customer AS (
    SELECT user_id, count(DISTINCT order_id) AS orders, max(ts) AS last_ts FROM purchases GROUP BY user_id
),
latest AS (
    SELECT max(ts) AS as_of FROM orders
)
SELECT
    (SELECT count(*) FROM per_customer) AS customers,
    (SELECT count(*) FROM per_customer, latest WHERE last_ts > as_of - INTERVAL 30 DAY) AS active_30d,
    (SELECT count(DISTINCT order_id) FROM purchases) AS orders,
    (
        SELECT count(DISTINCT item_id) FROM orders
        WHERE quantity > 0
          AND item_id NOT IN (SELECT item_id FROM non_products WHERE list_contains($kept_out, status))
    ) AS products,
    (SELECT coalesce(sum(quantity * unit_price), 0) FROM orders) AS revenue,
    (SELECT coalesce(avg((orders >= 2)::INTEGER), 0) FROM per_customer) AS repeat_rate,
    (SELECT as_of FROM latest) AS as_of
