-- The customers of every stored scoring with this horizon (the run scored last at each date, as
-- monitoring_score_runs) and what happened to them: churned as the churn labels define it (churn_features.sql),
-- no purchase (an order line with quantity > 0) from the end of as_of for horizon_days days; NULL while that
-- window reaches past the newest order day (the scoring's horizon has not passed in the data).
-- Parameters: $horizon_days (INTEGER), $max_scorings (INTEGER: the newest this many scorings are read; part runs:
-- monitoring_recent_runs).
-- Returns as_of (DATE), model_version, user_id, risk (in [0, 1]), recency_days (days since the last purchase at
-- as_of), churned (BOOLEAN or NULL); ordered by as_of, user_id.
WITH runs AS (
    -- @part runs
),
data_end AS (
    SELECT max(ts)::DATE AS last_day FROM orders
),
future AS (
    SELECT DISTINCT r.as_of, o.user_id
    FROM orders AS o
    JOIN runs AS r
        ON o.ts >= r.as_of + INTERVAL 1 DAY AND o.ts < r.as_of + INTERVAL 1 DAY + to_days(r.horizon_days)
    WHERE o.quantity > 0
)
SELECT
    s.as_of,
    s.model_version,
    s.user_id,
    s.risk,
    s.recency_days,
    CASE WHEN s.as_of + to_days(s.horizon_days) <= (SELECT last_day FROM data_end) THEN f.user_id IS NULL END
        AS churned
FROM scores AS s
JOIN runs AS r USING (as_of, horizon_days, model_version)
LEFT JOIN future AS f USING (as_of, user_id)
ORDER BY s.as_of, s.user_id
