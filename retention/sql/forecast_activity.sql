-- Customer activity per period, one row per period from the first to the last period with an
-- order line; periods without purchases are zeros. See retention.forecast.activity.activity_table.
-- Counted from the week and month rows of the activity rollup (migration 002), not the order lines.
-- $period: VARCHAR, 'week' (weeks start on Monday) | 'month'
-- A purchase is an order line with quantity > 0; revenue is net of returns (every line counts).
-- active_customers: customers with a purchase in the period; new_customers: whose first purchase
-- ever falls in it; returning_customers: active customers who had purchased in an earlier period.
-- complete: the data covers the whole period (its first day is on or after the first order's day,
-- and the last order's day is on or after the period's last day).
WITH bounds AS (
    SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM orders
),
by_period AS (
    SELECT
        period_start::TIMESTAMP AS ds,
        count(*) FILTER (WHERE purchase_lines > 0) AS active_customers,
        count(*) FILTER (WHERE purchase_lines > 0 AND period_start = first_purchase) AS new_customers,
        sum(revenue) AS revenue
    FROM rollup_order_periods
    WHERE grain = $period
    GROUP BY period_start
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
    coalesce(by_period.active_customers, 0)::BIGINT AS active_customers,
    coalesce(by_period.new_customers, 0)::BIGINT AS new_customers,
    coalesce(by_period.active_customers - by_period.new_customers, 0)::BIGINT AS returning_customers,
    coalesce(by_period.revenue, 0.0)::DOUBLE AS revenue,
    (
        periods.ds >= date_trunc('day', bounds.first_ts)
        AND periods.ds + CASE WHEN $period = 'week' THEN INTERVAL 7 DAY ELSE INTERVAL 1 MONTH END
            <= date_trunc('day', bounds.last_ts) + INTERVAL 1 DAY
    ) AS complete
FROM periods
CROSS JOIN bounds
LEFT JOIN by_period USING (ds)
ORDER BY periods.ds
