-- Keep a fitted churn model (replacing one of the same version).
-- Parameters: $model_version (VARCHAR), $horizon_days (INTEGER), $as_of (DATE), $holdout_date (DATE),
-- $holdout_roc_auc (DOUBLE), $model (BLOB).
INSERT OR REPLACE INTO churn_models
    (model_version, horizon_days, as_of, holdout_date, holdout_roc_auc, trained_at, model)
VALUES ($model_version, $horizon_days, $as_of, $holdout_date, $holdout_roc_auc, now()::TIMESTAMP, $model)
