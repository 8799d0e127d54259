-- Items the given users had bought or rated in the import batches up to a model's fit: what a list made then
-- left out.   $user_ids: VARCHAR[], the users.   $batch_id: INTEGER, the latest batch the model was fitted on.
SELECT DISTINCT user_id, item_id FROM orders
WHERE item_id IS NOT NULL AND quantity > 0 AND batch_id <= $batch_id AND user_id IN (SELECT unnest($user_ids))
UNION
SELECT DISTINCT user_id, item_id FROM ratings
WHERE item_id IS NOT NULL AND batch_id <= $batch_id AND user_id IN (SELECT unnest($user_ids))
