-- Customer activity per period, one row per period from the first to the last period with an
-- order line; periods without purchases are zeros. See retention.forecast.activity.activity_table.
-- $period: VARCHAR, 'week' (weeks start on Monday) | 'month'
-- A purchase is an order line with quantity > 0; revenue is net of returns (every line counts).
-- active_customers: customers with a purchase in the period; new_customers: whose first purchase
-- ever falls in it; returning_customers: active customers who had purchased in an earlier period.
-- complete: the data covers the whole period (its first day is on or after the first order's day,
-- and the last order's day is on or after the period's last day).
WITH bounds AS (
    SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM orders
),
purchases AS (
    SELECT user_id, date_trunc($period, ts) AS ds FROM orders WHERE quantity > 0
),
firsts AS (
    SELECT user_id, min(ds) AS first_ds FROM purchases GROUP BY user_id
),
active AS (
    SELECT
        p.ds,
        count(DISTINCT p.user_id) AS active_customers,
        count(DISTINCT p.user_id) FILTER (WHERE p.ds = f.first_ds) AS new_customers
    FROM purchases AS p
    JOIN firsts AS f USING (user_id)
    GROUP BY p.ds
),
revenue AS (
    SELECT date_trunc($period, ts) AS ds, sum(quantity * unit_price) AS revenue FROM orders GROUP BY ALL
),
periods AS (
    SELECT unnest(generate_series(
        date_trunc($period, first_ts),
        date_trunc($period, last_ts),
        CASE WHEN $period = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END
    )) AS ds
    FROM bounds
    WHERE first_ts IS NOT NULL
)
SELECT
    periods.ds,
    coalesce(active.active_customers, 0)::BIGINT AS active_customers,
    coalesce(active.new_customers, 0)::BIGINT AS new_customers,
    coalesce(active.active_customers - active.new_customers, 0)::BIGINT AS returning_customers,
    coalesce(revenue.revenue, 0.0)::DOUBLE AS revenue,
    (
        periods.ds >= date_trunc('day', bounds.first_ts)
        AND periods.ds + CASE WHEN $period = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END
            <= date_trunc('day', bounds.last_ts) + INTERVAL 1 DAY
    ) AS complete
FROM periods
CROSS JOIN bounds
LEFT JOIN active USING (ds)
LEFT JOIN revenue USING (ds)
ORDER BY periods.ds
