-- The scores of the newest scoring run (the newest at $as_of when it is not NULL), riskiest first.
-- Parameters: $as_of (DATE or NULL: the newest run of all).
WITH runs AS (
    SELECT as_of, horizon_days, model_version, max(scored_at) AS scored_at
    FROM scores
    WHERE $as_of IS NULL OR as_of = $as_of
    GROUP BY ALL
),
newest AS (
    SELECT * FROM runs ORDER BY scored_at DESC, as_of DESC, horizon_days, model_version LIMIT 1
)
SELECT s.user_id, s.as_of, s.model_version, s.horizon_days, s.risk, s.value, s.recency_days, s.reasons
FROM scores AS s
JOIN newest AS n USING (as_of, horizon_days, model_version)
ORDER BY s.risk DESC, s.user_id
