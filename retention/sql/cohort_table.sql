-- Cohort retention cells from the activity rollup (migration 002); see retention.cohorts.cohort_table.
-- $grain: 'day' | 'week' | 'month'            $cohort_by: 'first_purchase' | 'first_event' | 'signup'
-- $activity: 'purchase' | 'any' | 'event'     $event_type: the event type when $activity = 'event'
-- $mode: 'n-day' | 'unbounded' | 'brackets'   $lo, $hi: INTEGER[] day brackets (brackets mode; bracket 0 is day 0)
-- $cohort_start, $cohort_end: DATE or NULL    $as_of: TIMESTAMP, the latest timestamp of the data
-- $breakdown: a users column (checked by the caller; only read when $has_breakdown),
-- $kept: VARCHAR[] of the segments shown on their own (see cohort_segments.sql); the others are pooled as 'other'
-- $with_revenue: also sum order revenue.
-- Branches guarded by a parameter ("WHERE $mode = 'n-day'") are pruned by DuckDB's optimizer.
WITH
members_all AS (
    SELECT
        r.user_id,
        date_trunc(
            $grain,
            CASE $cohort_by
                WHEN 'first_purchase' THEN r.first_purchase_ts
                WHEN 'first_event' THEN r.first_event_ts
                ELSE r.signup_ts
            END
        )::DATE AS cohort
    FROM rollup_users AS r
),
members_in_range AS (
    SELECT user_id, cohort
    FROM members_all
    WHERE cohort IS NOT NULL
        AND ($cohort_start IS NULL OR cohort >= date_trunc($grain, $cohort_start::DATE)::DATE)
        AND ($cohort_end IS NULL OR cohort <= $cohort_end::DATE)
),
segmented AS (
    SELECT m.user_id, m.cohort, coalesce(CAST(struct_extract(u.row, $breakdown) AS VARCHAR), '(missing)') AS raw_segment
    FROM members_in_range AS m
    LEFT JOIN (SELECT user_id, users AS row FROM users) AS u USING (user_id)
    WHERE $has_breakdown
),
members AS (
    SELECT user_id, cohort, NULL::VARCHAR AS segment FROM members_in_range WHERE NOT $has_breakdown
    UNION ALL
    SELECT user_id, cohort, CASE WHEN list_contains($kept, raw_segment) THEN raw_segment ELSE 'other' END
    FROM segmented
),
sizes AS (
    SELECT cohort, segment, count(*) AS cohort_users FROM members GROUP BY ALL
),
-- Rollup rows at the grain the mode counts in: the chosen period, or days for brackets.
-- start: the user's cohort period at that grain (for days: the day the user started).
order_rows AS (
    SELECT
        user_id,
        period_start,
        CASE $cohort_by WHEN 'first_purchase' THEN first_purchase WHEN 'first_event' THEN first_event ELSE signup END
            AS start,
        purchase_lines > 0 AS purchased,
        revenue
    FROM rollup_order_periods
    WHERE grain = CASE WHEN $mode = 'brackets' THEN 'day' ELSE $grain END
        AND ($activity = 'purchase' OR $with_revenue)
),
event_rows AS (
    SELECT
        user_id,
        period_start,
        any_value(
            CASE $cohort_by WHEN 'first_purchase' THEN first_purchase WHEN 'first_event' THEN first_event ELSE signup END
        ) AS start
    FROM rollup_event_periods
    WHERE grain = CASE WHEN $mode = 'brackets' THEN 'day' ELSE $grain END
        AND $activity <> 'purchase'
        AND ($activity = 'any' OR event_type = $event_type)
    GROUP BY user_id, period_start
),
-- One row per user and period (day for brackets) at most once with active = true.
activity_rows AS (
    SELECT user_id, period_start, start, purchased AS active, revenue FROM order_rows WHERE $activity = 'purchase'
    UNION ALL
    SELECT user_id, period_start, start, false, revenue FROM order_rows WHERE $activity <> 'purchase'
    UNION ALL
    SELECT user_id, period_start, start, true, 0.0 FROM event_rows
),
located AS (
    SELECT
        user_id,
        date_trunc($grain, start)::DATE AS cohort,
        CASE WHEN $mode = 'brackets' THEN date_diff('day', start, period_start) ELSE date_diff($grain, start, period_start) END
            AS n,
        active,
        revenue
    FROM activity_rows
    WHERE start IS NOT NULL AND period_start >= start
),
rows_plain AS (
    SELECT l.user_id, l.cohort, NULL::VARCHAR AS segment, l.n, l.active, l.revenue
    FROM located AS l
    WHERE NOT $has_breakdown
        AND ($cohort_start IS NULL OR l.cohort >= date_trunc($grain, $cohort_start::DATE)::DATE)
        AND ($cohort_end IS NULL OR l.cohort <= $cohort_end::DATE)
),
rows_segmented AS (
    SELECT l.user_id, l.cohort, m.segment, l.n, l.active, l.revenue
    FROM located AS l JOIN members AS m USING (user_id)
    WHERE $has_breakdown
),
cohort_rows AS (
    SELECT * FROM rows_plain UNION ALL SELECT * FROM rows_segmented
),
brackets AS (
    SELECT unnest(range(0, len($lo::INTEGER[]))) AS period, unnest($lo::INTEGER[]) AS lo, unnest($hi::INTEGER[]) AS hi
),
cells AS (
    -- n-day: active in period n.
    SELECT cohort, segment, n AS period, count(*) FILTER (WHERE active) AS active_users, sum(revenue) AS revenue
    FROM cohort_rows
    WHERE $mode = 'n-day'
    GROUP BY ALL
    UNION ALL
    -- unbounded: users whose last active period is n (summed over n and later below); revenue in period n.
    SELECT cohort, segment, period, sum(last_users), sum(revenue)
    FROM (
        SELECT cohort, segment, last_n AS period, count(*) AS last_users, 0.0 AS revenue
        FROM (SELECT cohort, segment, user_id, max(n) AS last_n FROM cohort_rows WHERE active GROUP BY ALL)
        GROUP BY ALL
        UNION ALL
        SELECT cohort, segment, n, 0, sum(revenue) FROM cohort_rows WHERE $with_revenue GROUP BY ALL
    )
    WHERE $mode = 'unbounded'
    GROUP BY ALL
    UNION ALL
    -- brackets: active on a day whose offset from the user's start lies in [lo, hi].
    SELECT c.cohort, c.segment, b.period, count(DISTINCT c.user_id) FILTER (WHERE c.active), sum(c.revenue)
    FROM cohort_rows AS c JOIN brackets AS b ON c.n BETWEEN b.lo AND b.hi
    WHERE $mode = 'brackets'
    GROUP BY ALL
),
grid AS (
    SELECT cohort, segment, cohort_users, unnest(range(0, date_diff($grain, cohort, date_trunc($grain, $as_of)::DATE) + 1))
        AS period, 0 AS extra_days
    FROM sizes
    WHERE $mode <> 'brackets'
    UNION ALL
    SELECT s.cohort, s.segment, s.cohort_users, b.period, b.hi
    FROM sizes AS s CROSS JOIN brackets AS b
    WHERE $mode = 'brackets' AND s.cohort + to_days(b.lo) <= $as_of
),
-- period_end: the end of the cell's span (brackets: the last cohort day plus the bracket's last day).
ends AS (
    SELECT
        g.*,
        CASE WHEN $mode = 'brackets' THEN 0 ELSE g.period END AS step,
        CASE $grain
            WHEN 'day' THEN g.cohort + to_days(step + 1)
            WHEN 'week' THEN g.cohort + to_days(7 * (step + 1))
            ELSE g.cohort + to_months(step + 1)
        END + to_days(g.extra_days) AS period_end
    FROM grid AS g
),
joined AS (
    SELECT
        e.cohort,
        e.segment,
        e.period,
        e.cohort_users,
        coalesce(c.active_users, 0) AS cell_users,
        coalesce(c.revenue, 0.0) AS cell_revenue,
        e.period_end <= $as_of AS complete
    FROM ends AS e
    LEFT JOIN cells AS c ON c.cohort = e.cohort AND c.segment IS NOT DISTINCT FROM e.segment AND c.period = e.period
)
SELECT
    cohort,
    segment,
    period,
    cohort_users,
    CASE
        WHEN $mode = 'unbounded'
            THEN sum(cell_users) OVER (PARTITION BY cohort, segment ORDER BY period DESC ROWS UNBOUNDED PRECEDING)
        ELSE cell_users
    END::BIGINT AS active_users,
    CASE
        WHEN $mode = 'unbounded'
            THEN sum(cell_revenue) OVER (PARTITION BY cohort, segment ORDER BY period ROWS UNBOUNDED PRECEDING)
        ELSE cell_revenue
    END AS revenue,
    complete
FROM joined
ORDER BY cohort, segment, period
