-- The newest saved churn model of a horizon: the latest as_of, then the one trained last.
-- Parameters: $horizon_days (INTEGER).
SELECT model_version, horizon_days, as_of, holdout_date, holdout_roc_auc, trained_at, model
FROM churn_models
WHERE horizon_days = $horizon_days
ORDER BY as_of DESC, trained_at DESC
LIMIT 1
