-- Weekly active customers (at least one purchase on the week's days in the range) and new customers (first
-- purchase ever on those days), from the day rows of the activity rollup (migration 002), so that a range may
-- start or end mid-week. Weeks start on Monday. retention.overview.weekly_activity adds the weeks without
-- purchases (zeros) and marks the partial ones (retention.periods.filled).
-- $start: DATE, the range's first day; $end: DATE, its last day (included).
SELECT
    date_trunc('week', period_start)::TIMESTAMP AS week,
    count(DISTINCT user_id) AS active_customers,
    count(DISTINCT user_id) FILTER (WHERE period_start = first_purchase) AS new_customers
FROM rollup_order_periods
WHERE grain = 'day' AND purchase_lines > 0 AND period_start BETWEEN $start AND $end
GROUP BY ALL
ORDER BY week
