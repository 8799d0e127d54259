-- n-day purchase retention read from the pre-counted rollup, the "grouped" part of cohort_table.sql
-- (return activity = purchase, no breakdown).
SELECT cohort AS start, NULL::VARCHAR AS segment, period_start AS until, NULL::BIGINT AS bracket,
    active_users AS users, revenue
FROM rollup_cohort_cells
WHERE grain = $grain AND cohort_by = $cohort_by
    AND ($first_cohort IS NULL OR cohort >= $first_cohort::DATE)
    AND ($after_last_cohort IS NULL OR cohort < $after_last_cohort::DATE)
