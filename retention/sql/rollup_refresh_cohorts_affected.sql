-- Recount the pre-counted cohorts (migration 002) that an incremental refresh may have changed:
-- those the touched users were in before (noted by rollup_scope_touched.sql) and are in now.
-- Every user of such a cohort is counted again, from rollup_users and rollup_order_periods;
-- the other cohorts keep their rows. Runs after rollup_refresh.sql and the grain files.
INSERT INTO rollup_affected_cohorts
WITH starts AS (
    SELECT 'first_purchase' AS cohort_by, first_purchase_ts AS start_ts
    FROM rollup_users SEMI JOIN rollup_scope USING (user_id)
    UNION ALL
    SELECT 'first_event', first_event_ts FROM rollup_users SEMI JOIN rollup_scope USING (user_id)
    UNION ALL
    SELECT 'signup', signup_ts FROM rollup_users SEMI JOIN rollup_scope USING (user_id)
)
SELECT DISTINCT g.grain, s.cohort_by, date_trunc(g.grain, s.start_ts)::DATE
FROM starts AS s CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g(grain)
WHERE s.start_ts IS NOT NULL;

DELETE FROM rollup_cohort_sizes AS t USING rollup_affected_cohorts AS a
WHERE t.grain = a.grain AND t.cohort_by = a.cohort_by AND t.cohort = a.cohort;
DELETE FROM rollup_cohort_cells AS t USING rollup_affected_cohorts AS a
WHERE t.grain = a.grain AND t.cohort_by = a.cohort_by AND t.cohort = a.cohort;

INSERT INTO rollup_cohort_sizes
WITH starts AS (
    SELECT 'first_purchase' AS cohort_by, first_purchase_ts AS start_ts FROM rollup_users
    UNION ALL
    SELECT 'first_event', first_event_ts FROM rollup_users
    UNION ALL
    SELECT 'signup', signup_ts FROM rollup_users
),
located AS (
    SELECT g.grain, s.cohort_by, date_trunc(g.grain, s.start_ts)::DATE AS cohort
    FROM starts AS s CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g(grain)
    WHERE s.start_ts IS NOT NULL
)
SELECT grain, cohort_by, cohort, count(*)
FROM located SEMI JOIN rollup_affected_cohorts USING (grain, cohort_by, cohort)
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
FROM located SEMI JOIN rollup_affected_cohorts USING (grain, cohort_by, cohort)
GROUP BY ALL
ORDER BY ALL;
