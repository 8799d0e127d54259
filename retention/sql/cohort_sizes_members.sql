-- Cohort sizes counted from the members, the "sizes" part of cohort_table.sql.
SELECT cohort, segment, count(*) AS cohort_users FROM members GROUP BY ALL
