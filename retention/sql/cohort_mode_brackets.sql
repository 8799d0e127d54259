-- Day-bracket retention, the "grouped" part of cohort_table.sql: users active on a day whose offset from their
-- start day lies in the bracket [lo, hi]. Rows are days here, and start is the user's start day.
SELECT c.start, c.segment, NULL::DATE AS until, b.period AS bracket, count(DISTINCT c.user_id) FILTER (WHERE c.active) AS users,
    sum(c.revenue) AS revenue
FROM cohort_rows AS c JOIN brackets AS b ON date_diff('day', c.start, c.period_start) BETWEEN b.lo AND b.hi
GROUP BY ALL
