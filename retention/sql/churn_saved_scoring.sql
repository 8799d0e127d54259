-- The saved scoring run of an as-of date and horizon, when it scored these inputs (else no row).
-- Parameters: $as_of (DATE), $horizon_days (INTEGER), $inputs_version (VARCHAR).
SELECT run FROM churn_scorings
WHERE as_of = $as_of AND horizon_days = $horizon_days AND inputs_version = $inputs_version
