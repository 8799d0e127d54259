-- Set the status of one item code, adding it when it has none (the reason is kept for a code already listed).
-- $item_id: VARCHAR   $status: VARCHAR, 'suggested', 'confirmed' or 'rejected'   $reason: VARCHAR, for a new code.
INSERT INTO non_products (item_id, reason, status, updated_at)
VALUES ($item_id, $reason, $status, now()::TIMESTAMP)
ON CONFLICT (item_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
