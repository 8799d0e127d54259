-- Unbounded retention, the "grouped" part of cohort_table.sql: users whose last active period starts at "until"
-- (cohort_table.sql sums them over that period and the earlier ones), and the revenue of each period.
SELECT start, segment, last_active AS until, NULL::BIGINT AS bracket, count(*) AS users, 0.0 AS revenue
FROM (
    SELECT start, segment, user_id, max(period_start) AS last_active
    FROM cohort_rows
    WHERE active
    GROUP BY ALL
)
GROUP BY ALL
UNION ALL
SELECT start, segment, period_start, NULL, 0, sum(revenue)
FROM cohort_rows
WHERE $with_revenue
GROUP BY ALL
