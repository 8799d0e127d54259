-- Customer activity per period with an order line, oldest first; retention.forecast.activity.activity_table
-- adds the periods without one (zeros) and marks the partial ones (retention.periods.filled).
-- Counted from the week and month rows of the activity rollup (migration 002), not the order lines.
-- $period: VARCHAR, 'week' (weeks start on Monday) | 'month'
-- A purchase is an order line with quantity > 0; revenue is net of returns (every line counts).
-- active_customers: customers with a purchase in the period; new_customers: whose first purchase
-- ever falls in it; returning_customers: active customers who had purchased in an earlier period.
WITH by_period AS (
    SELECT
        period_start::TIMESTAMP AS ds,
        count(*) FILTER (WHERE purchase_lines > 0) AS active_customers,
        count(*) FILTER (WHERE purchase_lines > 0 AND period_start = first_purchase) AS new_customers,
        sum(revenue) AS revenue
    FROM rollup_order_periods
    WHERE grain = $period
    GROUP BY period_start
)
SELECT
    ds,
    active_customers::BIGINT AS active_customers,
    new_customers::BIGINT AS new_customers,
    (active_customers - new_customers)::BIGINT AS returning_customers,
    revenue::DOUBLE AS revenue
FROM by_period
ORDER BY ds
