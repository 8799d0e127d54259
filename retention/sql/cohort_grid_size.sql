-- The size of the grid cohort_table.sql would build (n-day and unbounded modes), counted before building it:
-- cohorts (the cohorts in range), first_cohort (DATE, the earliest of them) and cells (every cohort's periods
-- from its own to the one holding $as_of). Sizes come from the pre-counted cohorts (cohort_sizes_counted.sql).
-- $grain: 'day' | 'week' | 'month'; $cohort_by; $first_cohort, $after_last_cohort: DATE or NULL;
-- $as_of: TIMESTAMP, the latest timestamp of the data.
WITH sizes AS (
-- @part sizes
)
SELECT
    count(*) AS cohorts,
    min(cohort) AS first_cohort,
    coalesce(sum(greatest(date_diff($grain, cohort, date_trunc($grain, $as_of::TIMESTAMP)::DATE) + 1, 0)), 0)::BIGINT
        AS cells
FROM sizes
