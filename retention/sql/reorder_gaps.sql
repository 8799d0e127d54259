-- One row per gap between a customer's consecutive purchase days, for a CTE named gaps: user_id, gap_days
-- (INTEGER, >= 1). A purchase day is a calendar day with an order line of quantity > 0 (several orders on one day
-- count once, returns are not purchases), read from the day rows of the activity rollup (migration 002).
-- No parameters.
SELECT user_id, gap_days
FROM (
    SELECT
        user_id,
        date_diff('day', lag(period_start) OVER (PARTITION BY user_id ORDER BY period_start), period_start) AS gap_days
    FROM rollup_order_periods
    WHERE grain = 'day' AND purchase_lines > 0
)
WHERE gap_days IS NOT NULL
