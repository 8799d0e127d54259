-- The default cohort table (first-purchase cohorts, purchase activity, n-day) straight from the
-- order lines, without the activity rollup: what cohort_table.sql would cost without it.
-- Used to verify the rollup and by benchmarks/cohort_bench.py. $grain: 'day' | 'week' | 'month'.
-- $bitmask: the data spans at most 64 periods, so one pass can gather each customer's active
-- periods as bits of a 64-bit mask (bit = period number mod 64) instead of a (customer, period)
-- table joined to each customer's first period.
WITH
purchases AS (
    -- Period number: months since year 0, or days / Monday-weeks since 1970-01-01.
    SELECT
        user_id,
        CASE $grain
            WHEN 'month' THEN year(ts) * 12 + month(ts) - 1
            WHEN 'week' THEN (epoch(ts)::BIGINT // 86400 + 3) // 7
            ELSE epoch(ts)::BIGINT // 86400
        END AS p
    FROM orders
    WHERE quantity > 0
),
by_mask AS (
    -- Customers sharing a first period and a mask are expanded once, bit by bit.
    SELECT g.c, n, sum(g.customers) AS active_users
    FROM (
        SELECT c, last - c AS span, mask, count(*) AS customers
        FROM (
            SELECT min(p) AS c, max(p) AS last, bit_or(1::UBIGINT << (p % 64)::INTEGER) AS mask
            FROM purchases
            WHERE $bitmask
            GROUP BY user_id
        )
        GROUP BY ALL
    ) AS g, LATERAL (SELECT unnest(range(g.span + 1)) AS n)
    WHERE (g.mask >> ((g.c + n) % 64)::INTEGER) & 1 = 1
    GROUP BY ALL
),
active AS (
    SELECT user_id, p FROM purchases WHERE NOT $bitmask GROUP BY ALL
),
by_join AS (
    SELECT f.c, a.p - f.c AS n, count(*) AS active_users
    FROM active AS a JOIN (SELECT user_id, min(p) AS c FROM active GROUP BY user_id) AS f USING (user_id)
    GROUP BY ALL
),
cells AS (
    SELECT
        CASE $grain
            WHEN 'month' THEN make_date((c // 12)::INTEGER, (c % 12 + 1)::INTEGER, 1)
            WHEN 'week' THEN DATE '1970-01-01' + to_days((c * 7 - 3)::INTEGER)
            ELSE DATE '1970-01-01' + to_days(c::INTEGER)
        END AS cohort,
        n AS period,
        active_users
    FROM (SELECT * FROM by_mask UNION ALL SELECT * FROM by_join)
),
sizes AS (
    SELECT cohort, active_users AS cohort_users FROM cells WHERE period = 0
),
latest AS (
    SELECT greatest((SELECT max(ts) FROM orders), (SELECT max(ts) FROM events)) AS as_of
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
