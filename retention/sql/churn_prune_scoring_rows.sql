-- Drop the customers and explanation blocks of saved scoring runs no longer kept (after churn_prune_scorings).
-- No parameters.
DELETE FROM churn_scoring_customers
WHERE (as_of, horizon_days) NOT IN (SELECT (as_of, horizon_days) FROM churn_scorings);
DELETE FROM churn_scoring_details
WHERE (as_of, horizon_days) NOT IN (SELECT (as_of, horizon_days) FROM churn_scorings);
