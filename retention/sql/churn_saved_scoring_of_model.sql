-- The newest saved scoring run of a model: the run that trained it, or a refresh's rescoring with it that carries
-- the same holdout metrics (else no row).
-- Parameters: $horizon_days (INTEGER), $model_version (VARCHAR).
SELECT run FROM churn_scorings
WHERE horizon_days = $horizon_days AND model_version = $model_version
ORDER BY saved_at DESC
LIMIT 1
