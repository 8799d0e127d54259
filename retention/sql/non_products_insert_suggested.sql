-- Suggest item codes as non-products; a code that already has a status (suggested, confirmed or
-- rejected by the user) is left as it is.
-- $item_ids: VARCHAR[], the codes   $reasons: VARCHAR[], why each was flagged (same order).
INSERT INTO non_products (item_id, reason, status, updated_at)
SELECT item_id, reason, 'suggested', now()::TIMESTAMP
FROM (SELECT unnest($item_ids) AS item_id, unnest($reasons) AS reason)
ON CONFLICT (item_id) DO NOTHING
