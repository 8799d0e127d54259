-- The scores of the latest scoring run, riskiest first: the newest as_of (or $as_of when it is not NULL), and of
-- the runs at that date the one scored last. "Latest" is the newest date, not the run computed last: scoring a
-- past date to explore it does not make it the latest.
-- Parameters: $as_of (DATE or NULL: the newest date of all).
WITH runs AS (
    SELECT as_of, horizon_days, model_version, max(scored_at) AS scored_at
    FROM scores
    WHERE $as_of IS NULL OR as_of = $as_of
    GROUP BY ALL
),
newest AS (
    SELECT * FROM runs ORDER BY as_of DESC, scored_at DESC, horizon_days, model_version LIMIT 1
)
SELECT s.user_id, s.as_of, s.model_version, s.horizon_days, s.risk, s.value, s.recency_days, s.reasons
FROM scores AS s
JOIN newest AS n USING (as_of, horizon_days, model_version)
ORDER BY s.risk DESC, s.user_id
