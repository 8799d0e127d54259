-- The churn scoring a campaign audience reads for one scores' date, as campaign_audience picks it: of the runs
-- dated $scores_as_of, the one scored last (ties: the shorter horizon, then the model version). No row when none.
-- $scores_as_of: DATE
-- Columns: as_of (DATE), horizon_days (INTEGER), model_version (VARCHAR)
SELECT as_of, horizon_days, model_version
FROM scores
WHERE as_of = $scores_as_of::DATE
GROUP BY ALL
ORDER BY max(scored_at) DESC, horizon_days, model_version
LIMIT 1
