-- Cohort retention cells from the activity rollup (migration 002); see retention.cohorts.cohort_table.
-- $grain: 'day' | 'week' | 'month'            $cohort_by: 'first_purchase' | 'first_event' | 'signup'
-- $activity: 'purchase' | 'any' | 'event'     $event_type: the event type when $activity = 'event'
-- $mode: 'n-day' | 'unbounded' | 'brackets'   $lo, $hi: INTEGER[] day brackets (brackets mode; bracket 0 is day 0)
-- $first_cohort, $after_last_cohort: DATE or NULL, the first cohort and the period after the last one
-- $as_of: TIMESTAMP, the latest timestamp of the data
-- Part segments: each user's segment, from a users column (cohort_segment_column.sql: $breakdown, checked by the
-- caller) or the RFM segment (cohort_segment_rfm.sql); only read when $has_breakdown.
-- $kept: VARCHAR[] of the segments shown on their own (see cohort_segments.sql), the others pooled as
-- $other_segment; users without a value are $missing_segment
-- $with_revenue: also sum order revenue.
-- Branches guarded by a parameter ("WHERE $has_breakdown") are pruned by DuckDB's optimizer.
WITH
members_all AS (
    SELECT user_id, date_trunc($grain, start_ts)::DATE AS cohort
    FROM (
        SELECT
            user_id,
            CASE $cohort_by
                WHEN 'first_purchase' THEN first_purchase_ts
                WHEN 'first_event' THEN first_event_ts
                ELSE signup_ts
            END AS start_ts
        FROM rollup_users
    )
    WHERE start_ts IS NOT NULL
),
members_in_range AS (
    SELECT user_id, cohort
    FROM members_all
    WHERE ($first_cohort IS NULL OR cohort >= $first_cohort::DATE)
        AND ($after_last_cohort IS NULL OR cohort < $after_last_cohort::DATE)
),
segmented AS (
    SELECT m.user_id, m.cohort, coalesce(u.segment, $missing_segment) AS raw_segment
    FROM members_in_range AS m
    LEFT JOIN (
-- @part segments
) AS u USING (user_id)
    WHERE $has_breakdown
),
members AS (
    SELECT user_id, cohort, NULL::VARCHAR AS segment FROM members_in_range WHERE NOT $has_breakdown
    UNION ALL
    SELECT user_id, cohort, CASE WHEN list_contains($kept, raw_segment) THEN raw_segment ELSE $other_segment END
    FROM segmented
),
-- Cohort sizes: cohort_sizes_members.sql, or cohort_sizes_counted.sql for the pre-counted default view.
sizes AS (
-- @part sizes
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
        CASE WHEN $with_revenue THEN revenue ELSE 0.0 END AS revenue
    FROM rollup_order_periods
    WHERE grain = CASE WHEN $mode = 'brackets' THEN 'day' ELSE $grain END
        AND ($activity = 'purchase' OR $with_revenue)
        AND (purchase_lines > 0 OR $with_revenue)
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
-- start stays at the row grain here (a day for brackets); periods are counted only after grouping.
rows_plain AS (
    SELECT user_id, start, NULL::VARCHAR AS segment, period_start, active, revenue
    FROM activity_rows
    WHERE NOT $has_breakdown
        AND start IS NOT NULL
        AND period_start >= start
        AND ($first_cohort IS NULL OR start >= $first_cohort::DATE)
        AND ($after_last_cohort IS NULL OR start < $after_last_cohort::DATE)
),
rows_segmented AS (
    SELECT a.user_id, a.start, m.segment, a.period_start, a.active, a.revenue
    FROM activity_rows AS a JOIN members AS m USING (user_id)
    WHERE $has_breakdown AND a.period_start >= a.start
),
cohort_rows AS (
    SELECT * FROM rows_plain UNION ALL SELECT * FROM rows_segmented
),
brackets AS (
    -- One generator per SELECT and list_extract (1-based): the form Spark runs too (see retention.engines.dialect).
    SELECT period, list_extract($lo::INTEGER[], period + 1) AS lo, list_extract($hi::INTEGER[], period + 1) AS hi
    FROM (SELECT unnest(range(0, array_length($lo::INTEGER[]))) AS period)
),
-- (start, segment, period start or bracket) -> users and revenue, before periods are counted:
-- the mode's own SQL file (cohort_mode_*.sql, see retention.cohorts.MODES) goes in its place, or
-- cohort_mode_counted.sql for the pre-counted default view.
grouped AS (
-- @part mode
),
cells AS (
    SELECT
        date_trunc($grain, start)::DATE AS cohort,
        segment,
        coalesce(bracket, date_diff($grain, start, until)) AS period,
        sum(users) AS active_users,
        sum(revenue) AS revenue
    FROM grouped
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
