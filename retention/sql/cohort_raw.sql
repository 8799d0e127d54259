-- The default cohort table (first-purchase cohorts, purchase activity, n-day) straight from the
-- order lines, without the activity rollup: what cohort_table.sql would cost without it.
-- Used to verify the rollup and by benchmarks/cohort_bench.py. $grain: 'day' | 'week' | 'month'.
WITH
active AS (
    SELECT user_id, date_trunc($grain, ts)::DATE AS period_start
    FROM orders
    WHERE quantity > 0
    GROUP BY ALL
),
firsts AS (
    SELECT user_id, min(period_start) AS cohort FROM active GROUP BY user_id
),
cells AS (
    SELECT f.cohort, date_diff($grain, f.cohort, a.period_start) AS period, count(*) AS active_users
    FROM active AS a JOIN firsts AS f USING (user_id)
    GROUP BY ALL
),
sizes AS (
    SELECT cohort, count(*) AS cohort_users FROM firsts GROUP BY cohort
),
latest AS (
    SELECT max(ts) AS as_of FROM (SELECT ts FROM orders UNION ALL SELECT ts FROM events)
),
grid AS (
    SELECT cohort, cohort_users, unnest(range(0, date_diff($grain, cohort, date_trunc($grain, as_of)::DATE) + 1)) AS period
    FROM sizes, latest
)
SELECT
    g.cohort,
    NULL::VARCHAR AS segment,
    g.period,
    g.cohort_users,
    coalesce(c.active_users, 0) AS active_users,
    0.0 AS revenue,
    CASE $grain
        WHEN 'day' THEN g.cohort + to_days(g.period + 1)
        WHEN 'week' THEN g.cohort + to_days(7 * (g.period + 1))
        ELSE g.cohort + to_months(g.period + 1)
    END <= latest.as_of AS complete
FROM grid AS g
CROSS JOIN latest
LEFT JOIN cells AS c USING (cohort, period)
ORDER BY g.cohort, g.period
