-- The item codes with a non-product status, with their product title and order lines: suggested first,
-- then confirmed, then rejected; most lines first within each. No parameters.
WITH lines AS (
    -- Only the listed codes' lines are summed (a few codes of thousands).
    SELECT item_id, count(*) AS lines, round(coalesce(sum(quantity * unit_price), 0), 2) AS revenue
    FROM orders SEMI JOIN non_products USING (item_id)
    GROUP BY item_id
),
titles AS (
    SELECT item_id, any_value(title) AS title FROM products GROUP BY item_id
)
SELECT
    n.item_id,
    t.title,
    n.reason,
    coalesce(l.lines, 0) AS lines,
    coalesce(l.revenue, 0) AS revenue,
    n.status,
    n.updated_at
FROM non_products AS n
LEFT JOIN lines AS l USING (item_id)
LEFT JOIN titles AS t USING (item_id)
ORDER BY CASE n.status WHEN 'suggested' THEN 0 WHEN 'confirmed' THEN 1 ELSE 2 END, lines DESC, n.item_id
