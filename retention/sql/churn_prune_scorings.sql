-- Drop all but the newest $kept saved scoring runs (a user exploring past dates saves one per date).
-- Parameters: $kept (INTEGER).
DELETE FROM churn_scorings
WHERE (as_of, horizon_days) NOT IN (
    SELECT (as_of, horizon_days) FROM churn_scorings ORDER BY saved_at DESC, as_of DESC LIMIT $kept
)
