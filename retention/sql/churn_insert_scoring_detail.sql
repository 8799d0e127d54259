-- Save one block of a run's feature rows and SHAP values.
-- Parameters: $as_of (DATE), $horizon_days (INTEGER), $first_position (INTEGER), $detail (BLOB).
INSERT INTO churn_scoring_details (as_of, horizon_days, first_position, detail)
VALUES ($as_of, $horizon_days, $first_position, $detail)
