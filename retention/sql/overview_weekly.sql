-- Weekly active customers (at least one purchase in the week) and new customers (first purchase ever in the
-- week), from the week rows of the activity rollup (migration 002). Weeks start on Monday; the last week is
-- complete only if the data reaches its end.
WITH latest AS (
    SELECT max(ts) AS as_of FROM orders
)
SELECT
    p.period_start::TIMESTAMP AS week,
    count(*) AS active_customers,
    count(*) FILTER (WHERE p.period_start = p.first_purchase) AS new_customers,
    any_value(p.period_start + INTERVAL 7 DAY <= latest.as_of) AS complete
FROM rollup_order_periods AS p
CROSS JOIN latest
WHERE p.grain = 'week' AND p.purchase_lines > 0
GROUP BY p.period_start
ORDER BY p.period_start
