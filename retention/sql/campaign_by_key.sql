-- The campaign launched with one idempotency key. $idempotency_key: VARCHAR
SELECT campaign_id, status FROM campaigns WHERE idempotency_key = $idempotency_key
