-- Save a run's customers from the registered frame churn_new_scoring_customers (position, user_id, orders,
-- channel, country).
-- Parameters: $as_of (DATE), $horizon_days (INTEGER).
INSERT INTO churn_scoring_customers (as_of, horizon_days, position, user_id, orders, channel, country)
SELECT $as_of, $horizon_days, position, user_id, orders, channel, country FROM churn_new_scoring_customers
