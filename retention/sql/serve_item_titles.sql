-- Titles of the given items (products without one, or unknown items, are left out).
-- $item_ids: VARCHAR[].
SELECT item_id, any_value(title) AS title
FROM products
WHERE list_contains($item_ids, item_id) AND title IS NOT NULL
GROUP BY item_id
