-- How many customers have scores of one scoring. Parameters: $as_of (DATE), $horizon_days (INTEGER),
-- $model_version (VARCHAR).
SELECT count(*) AS customers
FROM scores
WHERE as_of = $as_of AND horizon_days = $horizon_days AND model_version = $model_version
