-- Keep a scoring run for the At-risk page, replacing the earlier one of the same as-of date and horizon.
-- Parameters: $as_of (DATE), $horizon_days (INTEGER), $inputs_version, $model_version (VARCHAR), $run (BLOB).
INSERT OR REPLACE INTO churn_scorings (as_of, horizon_days, inputs_version, model_version, saved_at, size_bytes, run)
VALUES ($as_of, $horizon_days, $inputs_version, $model_version, now()::TIMESTAMP, octet_length($run), $run)
