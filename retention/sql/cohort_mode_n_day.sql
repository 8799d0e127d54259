-- n-day retention, the "grouped" part of cohort_table.sql: users active in the period that starts at "until".
SELECT start, segment, period_start AS until, NULL::BIGINT AS bracket, count(*) FILTER (WHERE active) AS users,
    sum(revenue) AS revenue
FROM cohort_rows
GROUP BY ALL
