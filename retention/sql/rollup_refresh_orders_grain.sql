-- Week or month rows of the order rollup from the day rows just computed by rollup_refresh.sql;
-- $grain: 'week' | 'month'. The cohort periods are the day rows' dates truncated to the grain
-- (one value per user).
INSERT INTO rollup_order_periods
SELECT
    $grain,
    date_trunc($grain, period_start)::DATE,
    user_id,
    date_trunc($grain, any_value(first_purchase))::DATE,
    date_trunc($grain, any_value(first_event))::DATE,
    date_trunc($grain, any_value(signup))::DATE,
    sum(purchase_lines)::INTEGER,
    sum(revenue)
FROM rollup_new_order_days
GROUP BY date_trunc($grain, period_start), user_id
