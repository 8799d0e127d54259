-- The cold-start list while no recommender run serves: the items most customers bought, with titles.
-- $k: INTEGER, the list length.
SELECT
    row_number() OVER (ORDER BY count(DISTINCT o.user_id) DESC, o.item_id)::INTEGER AS rank,
    o.item_id,
    any_value(p.title) AS title
FROM orders AS o
LEFT JOIN products AS p USING (item_id)
WHERE o.item_id IS NOT NULL AND o.quantity > 0
GROUP BY o.item_id
ORDER BY rank
LIMIT $k
