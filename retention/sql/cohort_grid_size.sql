-- The latest timestamp of the rollup, and the size of the grid cohort_table.sql would build up to it (n-day and
-- unbounded modes), counted before building it: as_of (TIMESTAMP, NULL for an empty warehouse), cohorts (the
-- cohorts in range), first_cohort (DATE, the earliest of them) and cells (every cohort's periods from its own to
-- the one holding as_of). Sizes come from the pre-counted cohorts (cohort_sizes_counted.sql).
-- $grain: 'day' | 'week' | 'month'; $cohort_by; $first_cohort, $after_last_cohort: DATE or NULL.
WITH
state AS (
-- @part as_of
),
sizes AS (
-- @part sizes
)
SELECT
    (SELECT as_of FROM state) AS as_of,
    count(*) AS cohorts,
    min(cohort) AS first_cohort,
    coalesce(sum(greatest(date_diff($grain, cohort, date_trunc($grain, (SELECT as_of FROM state))::DATE) + 1, 0)), 0)
        ::BIGINT AS cells
FROM sizes
