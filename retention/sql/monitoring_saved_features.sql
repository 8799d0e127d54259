-- The feature blocks of one saved scoring run (churn_scoring_details), in position order.
-- Parameters: $as_of (DATE), $horizon_days (INTEGER).
-- Returns detail (BLOB: zlib-compressed pickle of (feature rows, SHAP values)).
SELECT detail
FROM churn_scoring_details
WHERE as_of = $as_of AND horizon_days = $horizon_days
ORDER BY first_position
