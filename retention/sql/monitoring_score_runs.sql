-- Every stored scoring, one per (as_of, horizon_days): of the runs saved at one date and horizon, the one scored
-- last (as churn_latest_scores reads "latest"). Newest first.
-- No parameters. Returns as_of (DATE), horizon_days, model_version, scored_at, customers, mean_risk (in [0, 1]).
WITH runs AS (
    SELECT as_of, horizon_days, model_version, max(scored_at) AS scored_at, count(*) AS customers, avg(risk) AS mean_risk
    FROM scores
    GROUP BY ALL
)
SELECT as_of, horizon_days, model_version, scored_at, customers, mean_risk
FROM runs
QUALIFY row_number() OVER (PARTITION BY as_of, horizon_days ORDER BY scored_at DESC, model_version) = 1
ORDER BY as_of DESC, horizon_days
