-- The scores of a saved run's customers, riskiest first: its customers joined to the scores of its model (risk,
-- value, recency and reasons are kept once, in scores). A customer whose score is gone has a NULL risk.
-- Parameters: $as_of (DATE), $horizon_days (INTEGER), $model_version (VARCHAR).
SELECT c.user_id, s.risk, s.value, s.recency_days, c.orders, s.reasons, c.channel, c.country
FROM churn_scoring_customers AS c
LEFT JOIN scores AS s
    ON s.as_of = c.as_of AND s.horizon_days = c.horizon_days AND s.model_version = $model_version
    AND s.user_id = c.user_id
WHERE c.as_of = $as_of AND c.horizon_days = $horizon_days
ORDER BY c.position
