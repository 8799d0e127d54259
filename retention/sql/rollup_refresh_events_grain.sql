-- Week or month rows of the event rollup from its day rows; $grain: 'week' | 'month'.
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
FROM rollup_event_periods
WHERE grain = 'day'
GROUP BY date_trunc($grain, period_start), user_id, event_type
