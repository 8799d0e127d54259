-- Remove an earlier run of the same scoring (same as-of date, horizon and model version) before saving it again.
-- Parameters: $as_of (DATE), $horizon_days (INTEGER), $model_version (VARCHAR).
DELETE FROM scores WHERE as_of = $as_of AND horizon_days = $horizon_days AND model_version = $model_version
