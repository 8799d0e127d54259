-- Growth accounting of purchases (see migration 013, rollup_lifecycle) counted over the rollup rows of the users
-- in scope (the temp view rollup_scope_order_periods): a part of rollup_scope_*.sql and rollup_refresh_counts.sql.
-- Each user's rows count alone, so the whole table is the sum of its users' counts.
WITH
steps AS (
    SELECT
        grain,
        period_start,
        lag(period_start) OVER w AS previous_start,
        lead(period_start) OVER w AS next_start,
        CASE grain
            WHEN 'day' THEN period_start + to_days(1)
            WHEN 'week' THEN period_start + to_days(7)
            ELSE period_start + to_months(1)
        END::DATE AS following_start,
        CASE grain
            WHEN 'day' THEN period_start - to_days(1)
            WHEN 'week' THEN period_start - to_days(7)
            ELSE period_start - to_months(1)
        END::DATE AS preceding_start
    FROM rollup_scope_order_periods
    WHERE purchase_lines > 0
    WINDOW w AS (PARTITION BY grain, user_id ORDER BY period_start)
),
counts AS (
    SELECT
        grain,
        period_start,
        count(*) FILTER (WHERE previous_start IS NULL) AS new,
        count(*) FILTER (WHERE previous_start = preceding_start) AS "returning",
        count(*) FILTER (WHERE previous_start < preceding_start) AS resurrecting,
        0 AS dormant
    FROM steps
    GROUP BY ALL
    UNION ALL
    -- Users active in a period and not in the next one turn dormant in the next one.
    SELECT grain, following_start, 0, 0, 0, -count(*)
    FROM steps
    WHERE next_start IS DISTINCT FROM following_start
    GROUP BY ALL
)
SELECT grain, period_start, sum(new) AS new, sum("returning") AS "returning", sum(resurrecting) AS resurrecting,
    sum(dormant) AS dormant
FROM counts
GROUP BY ALL
