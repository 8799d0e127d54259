-- Items the given users already bought or rated: never recommended to them again.
-- $user_ids: VARCHAR[], the users.
SELECT DISTINCT user_id, item_id FROM orders
WHERE item_id IS NOT NULL AND quantity > 0 AND list_contains($user_ids, user_id)
UNION
SELECT DISTINCT user_id, item_id FROM ratings
WHERE item_id IS NOT NULL AND list_contains($user_ids, user_id)
