-- Cohort sizes read from the pre-counted rollup, the "sizes" part of cohort_table.sql (no breakdown).
SELECT cohort, NULL::VARCHAR AS segment, users AS cohort_users
FROM rollup_cohort_sizes
WHERE grain = $grain AND cohort_by = $cohort_by
    AND ($first_cohort IS NULL OR cohort >= $first_cohort::DATE)
    AND ($after_last_cohort IS NULL OR cohort < $after_last_cohort::DATE)
