-- Which of the given item codes appear in the order lines or the products table.
-- $item_ids: VARCHAR[], the codes.
SELECT DISTINCT item_id
FROM (SELECT item_id FROM orders UNION ALL SELECT item_id FROM products)
WHERE list_contains($item_ids, item_id)
ORDER BY item_id
