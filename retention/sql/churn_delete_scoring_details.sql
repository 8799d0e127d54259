-- Remove the explanation blocks of the saved run of an as-of date and horizon (before saving anew).
-- Parameters: $as_of (DATE), $horizon_days (INTEGER).
DELETE FROM churn_scoring_details WHERE as_of = $as_of AND horizon_days = $horizon_days
