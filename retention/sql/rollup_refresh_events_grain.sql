-- Week or month rows of the event rollup from the day rows just computed by rollup_refresh.sql;
-- $grain: 'week' | 'month'.
INSERT INTO rollup_event_periods
SELECT
    $grain,
    date_trunc($grain, period_start)::DATE,
    user_id,
    event_type,
    date_trunc($grain, any_value(first_purchase))::DATE,
    date_trunc($grain, any_value(first_event))::DATE,
    date_trunc($grain, any_value(signup))::DATE,
    sum(events)::INTEGER
FROM rollup_new_event_days
GROUP BY date_trunc($grain, period_start), user_id, event_type
