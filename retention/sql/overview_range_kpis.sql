-- Headline numbers of a date range (see retention.overview.RangeKpis), from the order lines in the range (a
-- filter on ts, so only the row groups of those days are read) and each customer's first purchase in the
-- activity rollup. A purchase is an order line with quantity > 0; revenue is net of returns (every line).
-- $start: TIMESTAMP, the range's first moment; $stop: TIMESTAMP, the first moment after it (excluded);
-- $kept_out: VARCHAR[], the non-product statuses kept out of the product count ('suggested', 'confirmed').
WITH
lines AS (
    SELECT order_id, user_id, item_id, quantity, unit_price FROM orders WHERE ts >= $start AND ts < $stop
),
bought AS (
    SELECT order_id, user_id, item_id FROM lines WHERE quantity > 0
),
per_customer AS (
    SELECT user_id, count(DISTINCT order_id) AS orders FROM bought GROUP BY user_id
)
SELECT
    (SELECT count(*) FROM per_customer) AS customers,
    (SELECT count(*) FROM rollup_users WHERE first_purchase_ts >= $start AND first_purchase_ts < $stop)
        AS new_customers,
    (SELECT count(DISTINCT order_id) FROM bought) AS orders,
    (
        SELECT count(DISTINCT item_id) FROM bought
        WHERE item_id NOT IN (SELECT item_id FROM non_products WHERE list_contains($kept_out, status))
    ) AS products,
    (SELECT coalesce(sum(quantity * unit_price), 0) FROM lines) AS revenue,
    (SELECT coalesce(avg((orders >= 2)::INTEGER), 0) FROM per_customer) AS repeat_rate
