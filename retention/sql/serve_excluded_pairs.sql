-- Every customer's items bought or rated, which a discovery list never repeats (recommend_user_items for all
-- customers at once: the snapshot of a promoted run holds every customer it knows), grouped by customer.
SELECT DISTINCT user_id, item_id FROM orders
WHERE item_id IS NOT NULL AND quantity > 0
UNION
SELECT DISTINCT user_id, item_id FROM ratings
WHERE item_id IS NOT NULL
ORDER BY user_id, item_id
