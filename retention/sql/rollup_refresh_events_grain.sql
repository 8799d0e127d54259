-- Week or month rows of the event rollup from the user-days just computed by rollup_refresh.sql
-- (rollup_event_days); $grain: 'week' | 'month'. The cohort periods are the users' starts
-- (rollup_users) truncated to the grain, joined after the events are counted.
INSERT INTO rollup_event_periods
SELECT
    $grain,
    d.period_start,
    d.user_id,
    d.event_type,
    date_trunc($grain, r.first_purchase_ts::DATE)::DATE,
    date_trunc($grain, r.first_event_ts::DATE)::DATE,
    date_trunc($grain, r.signup_ts::DATE)::DATE,
    d.events
FROM (
    SELECT date_trunc($grain, period_start)::DATE AS period_start, user_id, event_type, sum(events)::INTEGER AS events
    FROM rollup_event_days
    GROUP BY ALL
) AS d
JOIN rollup_users AS r USING (user_id)
