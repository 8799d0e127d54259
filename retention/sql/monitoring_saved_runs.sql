-- The saved scoring runs (churn_scorings) with this horizon: the blob of each, whose holdout calibration and
-- feature importance the drift section reads, and whether its customers' feature blocks are kept.
-- Parameters: $horizon_days (INTEGER).
-- Returns as_of (DATE), model_version, run (BLOB), ordered by as_of.
SELECT as_of, model_version, run
FROM churn_scorings
WHERE horizon_days = $horizon_days
ORDER BY as_of
