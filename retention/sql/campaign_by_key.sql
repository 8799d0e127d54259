SELECT campaign_id, status FROM campaigns WHERE idempotency_key = $idempotency_key
