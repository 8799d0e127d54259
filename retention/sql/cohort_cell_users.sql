-- The users of one cohort cell, retained or not; see retention.cohorts.cell_users.
-- Parameters and part segments as in cohort_table.sql, plus $cohort (DATE: the cohort's period start), $period (INTEGER: the
-- cell's period or bracket index), $segment (VARCHAR or NULL), $kept (VARCHAR[]: the segments not pooled
-- into $other_segment), $lo/$hi (INTEGER: the bracket's first and last day, brackets mode).
-- last_active: start of the latest active period (DATE); last_purchase: time of the user's last order line with
-- quantity > 0 (NULL if none).
WITH
members AS (
    SELECT
        r.user_id,
        CASE $cohort_by
            WHEN 'first_purchase' THEN r.first_purchase_ts
            WHEN 'first_event' THEN r.first_event_ts
            ELSE r.signup_ts
        END AS start_ts
    FROM rollup_users AS r
),
cohort AS (
    SELECT m.user_id, m.start_ts, coalesce(u.segment, $missing_segment) AS raw_segment
    FROM members AS m
    LEFT JOIN (
-- @part segments
) AS u USING (user_id)
    WHERE date_trunc($grain, m.start_ts)::DATE = $cohort::DATE
),
in_cell AS (
    SELECT
        user_id,
        start_ts,
        CASE WHEN NOT $has_breakdown THEN NULL WHEN list_contains($kept, raw_segment) THEN raw_segment ELSE $other_segment END
            AS segment
    FROM cohort
    WHERE NOT $has_breakdown OR $segment = (CASE WHEN list_contains($kept, raw_segment) THEN raw_segment ELSE $other_segment END)
),
activity AS (
    -- One branch runs; each gives a user's period once. Only the cell's users are read.
    SELECT user_id, period_start FROM rollup_order_periods SEMI JOIN in_cell USING (user_id)
    WHERE grain = CASE WHEN $mode = 'brackets' THEN 'day' ELSE $grain END
        AND $activity = 'purchase' AND purchase_lines > 0
    UNION ALL
    SELECT DISTINCT user_id, period_start FROM rollup_event_periods SEMI JOIN in_cell USING (user_id)
    WHERE grain = CASE WHEN $mode = 'brackets' THEN 'day' ELSE $grain END
        AND $activity <> 'purchase' AND ($activity = 'any' OR event_type = $event_type)
),
offsets AS (
    SELECT
        c.user_id,
        a.period_start,
        CASE
            WHEN $mode = 'brackets' THEN date_diff('day', c.start_ts::DATE, a.period_start)
            ELSE date_diff($grain, $cohort::DATE, a.period_start)
        END AS n
    FROM in_cell AS c JOIN activity AS a USING (user_id)
    WHERE a.period_start >= date_trunc(CASE WHEN $mode = 'brackets' THEN 'day' ELSE $grain END, c.start_ts)::DATE
),
purchases AS (
    SELECT r.user_id, r.last_purchase_ts AS last_purchase
    FROM rollup_users AS r JOIN in_cell AS c USING (user_id)
),
spend AS (
    SELECT o.user_id, sum(o.revenue) AS revenue
    FROM rollup_order_periods AS o JOIN in_cell AS c USING (user_id)
    WHERE o.grain = 'day' AND o.period_start >= c.start_ts::DATE
    GROUP BY o.user_id
)
SELECT
    c.user_id,
    c.segment,
    c.start_ts,
    coalesce(bool_or(
        CASE $mode WHEN 'n-day' THEN o.n = $period WHEN 'unbounded' THEN o.n >= $period ELSE o.n BETWEEN $lo AND $hi END
    ), false) AS retained,
    count(o.n) AS active_periods,
    max(o.period_start) AS last_active,
    any_value(p.last_purchase) AS last_purchase,
    coalesce(any_value(s.revenue), 0.0) AS revenue
FROM in_cell AS c
LEFT JOIN offsets AS o USING (user_id)
LEFT JOIN spend AS s USING (user_id)
LEFT JOIN purchases AS p USING (user_id)
GROUP BY c.user_id, c.segment, c.start_ts
ORDER BY retained DESC, revenue DESC, c.user_id
