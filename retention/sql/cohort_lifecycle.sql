-- Growth accounting per period from the activity rollup; see retention.cohorts.lifecycle (which marks the partial
-- periods).
-- $grain: 'day' | 'week' | 'month'; $activity: 'purchase' | 'any' | 'event'; $event_type; $as_of: TIMESTAMP.
WITH
active AS (
    SELECT user_id, period_start FROM rollup_order_periods
    WHERE grain = $grain AND $activity = 'purchase' AND purchase_lines > 0
    UNION ALL
    SELECT DISTINCT user_id, period_start FROM rollup_event_periods
    WHERE grain = $grain AND $activity <> 'purchase' AND ($activity = 'any' OR event_type = $event_type)
),
steps AS (
    SELECT
        period_start,
        lag(period_start) OVER w AS previous_start,
        lead(period_start) OVER w AS next_start,
        CASE $grain
            WHEN 'day' THEN period_start + to_days(1)
            WHEN 'week' THEN period_start + to_days(7)
            ELSE period_start + to_months(1)
        END::DATE AS following_start,
        CASE $grain
            WHEN 'day' THEN period_start - to_days(1)
            WHEN 'week' THEN period_start - to_days(7)
            ELSE period_start - to_months(1)
        END::DATE AS preceding_start
    FROM active
    WINDOW w AS (PARTITION BY user_id ORDER BY period_start)
),
counts AS (
    SELECT
        period_start,
        count(*) FILTER (WHERE previous_start IS NULL) AS new,
        count(*) FILTER (WHERE previous_start = preceding_start) AS "returning",
        count(*) FILTER (WHERE previous_start < preceding_start) AS resurrecting,
        0 AS dormant
    FROM steps
    GROUP BY period_start
    UNION ALL
    -- Users active in a period and not in the next one turn dormant in the next one.
    SELECT following_start, 0, 0, 0, -count(*)
    FROM steps
    WHERE next_start IS DISTINCT FROM following_start AND following_start <= $as_of
    GROUP BY following_start
)
SELECT
    period_start,
    sum(new)::BIGINT AS new,
    sum("returning")::BIGINT AS "returning",
    sum(resurrecting)::BIGINT AS resurrecting,
    sum(dormant)::BIGINT AS dormant
FROM counts
GROUP BY period_start
ORDER BY period_start
