-- The 20 products with the most revenue
SELECT
    o.item_id,
    any_value(p.title) AS title,
    round(sum(o.quantity * o.unit_price), 2) AS revenue,
    count(DISTINCT o.user_id) AS customers
FROM orders AS o
LEFT JOIN products AS p USING (item_id)
GROUP BY o.item_id
ORDER BY revenue DESC
LIMIT 20
