-- Rebuild the pre-counted cohorts (migration 002) from rollup_users and rollup_order_periods;
-- runs after rollup_refresh.sql, whole or incremental. Recounting only the cohorts that the
-- changed users left or joined saves nothing: a few hundred users already touch most cohorts'
-- keys, and the cells are counted from one scan of rollup_order_periods either way.
DELETE FROM rollup_cohort_sizes;
DELETE FROM rollup_cohort_cells;

INSERT INTO rollup_cohort_sizes
WITH starts AS (
    SELECT 'first_purchase' AS cohort_by, first_purchase_ts AS start_ts FROM rollup_users
    UNION ALL
    SELECT 'first_event', first_event_ts FROM rollup_users
    UNION ALL
    SELECT 'signup', signup_ts FROM rollup_users
)
SELECT g.grain, s.cohort_by, date_trunc(g.grain, s.start_ts)::DATE AS cohort, count(*)
FROM starts AS s CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g(grain)
WHERE s.start_ts IS NOT NULL
GROUP BY ALL
ORDER BY ALL;

INSERT INTO rollup_cohort_cells
WITH located AS (
    SELECT grain, 'first_purchase' AS cohort_by, first_purchase AS cohort, period_start, purchase_lines, revenue
    FROM rollup_order_periods WHERE period_start >= first_purchase
    UNION ALL
    SELECT grain, 'first_event', first_event, period_start, purchase_lines, revenue
    FROM rollup_order_periods WHERE period_start >= first_event
    UNION ALL
    SELECT grain, 'signup', signup, period_start, purchase_lines, revenue
    FROM rollup_order_periods WHERE period_start >= signup
)
SELECT grain, cohort_by, cohort, period_start, count(*) FILTER (WHERE purchase_lines > 0), sum(revenue)
FROM located
GROUP BY ALL
ORDER BY ALL;
