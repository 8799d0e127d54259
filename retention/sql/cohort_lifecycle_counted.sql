-- Growth accounting of purchases per period, pre-counted (rollup_lifecycle, migration 013); the same frame as
-- cohort_lifecycle.sql with $activity = 'purchase'. Dormant users are counted there for the period after the
-- latest data too: kept only up to it. $grain: 'day' | 'week' | 'month'; $as_of: TIMESTAMP.
SELECT
    period_start,
    new::BIGINT AS new,
    "returning"::BIGINT AS "returning",
    resurrecting::BIGINT AS resurrecting,
    dormant::BIGINT AS dormant,
    CASE $grain
        WHEN 'day' THEN period_start + to_days(1)
        WHEN 'week' THEN period_start + to_days(7)
        ELSE period_start + to_months(1)
    END <= $as_of AS complete
FROM rollup_lifecycle
WHERE grain = $grain AND period_start <= $as_of
ORDER BY period_start
