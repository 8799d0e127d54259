-- The explanation block holding one position of a saved run, while that run is the one saved (its inputs and
-- model versions); else no row.
-- Parameters: $as_of (DATE), $horizon_days (INTEGER), $inputs_version, $model_version (VARCHAR), $position (INTEGER).
SELECT d.first_position, d.detail
FROM churn_scoring_details AS d
JOIN churn_scorings AS r ON r.as_of = d.as_of AND r.horizon_days = d.horizon_days
WHERE d.as_of = $as_of AND d.horizon_days = $horizon_days AND d.first_position <= $position
    AND r.inputs_version = $inputs_version AND r.model_version = $model_version
ORDER BY d.first_position DESC
LIMIT 1
