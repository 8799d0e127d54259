-- Save one scoring run from the registered frame churn_new_scores (user_id, risk, value, recency_days, reasons).
-- Parameters: $as_of (DATE), $horizon_days (INTEGER), $model_version (VARCHAR).
INSERT INTO scores (as_of, horizon_days, model_version, user_id, risk, value, recency_days, reasons, scored_at)
SELECT $as_of, $horizon_days, $model_version, user_id, risk, value, recency_days, reasons, now()::TIMESTAMP
FROM churn_new_scores
