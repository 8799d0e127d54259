-- Week or month rows of the order rollup from the user-days just computed by rollup_refresh.sql
-- (rollup_order_days); $grain: 'week' | 'month'. The cohort periods are the users' starts
-- (rollup_users) truncated to the grain, joined after the lines are summed.
INSERT INTO rollup_order_periods
SELECT
    $grain,
    d.period_start,
    d.user_id,
    date_trunc($grain, r.first_purchase_ts::DATE)::DATE,
    date_trunc($grain, r.first_event_ts::DATE)::DATE,
    date_trunc($grain, r.signup_ts::DATE)::DATE,
    d.purchase_lines,
    d.revenue
FROM (
    SELECT date_trunc($grain, period_start)::DATE AS period_start, user_id,
        sum(purchase_lines)::INTEGER AS purchase_lines, sum(revenue) AS revenue
    FROM rollup_order_days
    GROUP BY ALL
) AS d
JOIN rollup_users AS r USING (user_id)
