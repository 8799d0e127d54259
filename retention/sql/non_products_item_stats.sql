-- Per item code of the order lines: its product title, lines, revenue and price behaviour, and whether
-- the import batch $batch_id holds lines of it. Every code is returned (the shop's usual code shape is
-- judged on all of them); in_batch is true for every code when $batch_id is NULL.
-- $batch_id: INTEGER or NULL, the import batch of order lines.
WITH titles AS (
    SELECT item_id, any_value(title) AS title FROM products GROUP BY item_id
)
SELECT
    o.item_id,
    any_value(t.title) AS title,
    count(*) AS lines,
    coalesce(sum(o.quantity * o.unit_price), 0) AS revenue,
    count(DISTINCT o.unit_price) AS distinct_prices,
    coalesce(stddev_pop(o.unit_price) / nullif(abs(avg(o.unit_price)), 0), 0) AS price_cv,
    count(*) FILTER (WHERE o.unit_price < 0) AS negative_price_lines,
    bool_or($batch_id IS NULL OR o.batch_id = $batch_id) AS in_batch
FROM orders AS o
LEFT JOIN titles AS t USING (item_id)
WHERE o.item_id IS NOT NULL
GROUP BY o.item_id
ORDER BY o.item_id
