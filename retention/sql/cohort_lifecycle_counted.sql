-- Growth accounting of purchases per period, pre-counted (rollup_lifecycle, migration 013); the same frame as
-- cohort_lifecycle.sql with $activity = 'purchase'. Dormant users are counted there for the period after the
-- latest data too: kept only up to it. retention.cohorts.lifecycle marks the partial periods.
-- $grain: 'day' | 'week' | 'month'; $as_of: TIMESTAMP.
SELECT
    period_start,
    new::BIGINT AS new,
    "returning"::BIGINT AS "returning",
    resurrecting::BIGINT AS resurrecting,
    dormant::BIGINT AS dormant
FROM rollup_lifecycle
WHERE grain = $grain AND period_start <= $as_of
ORDER BY period_start
