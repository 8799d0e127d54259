-- Upsert the loadable rows of ingest_stage into products, one row per item_id.
-- Within the file (the stage's rowid follows the file's order): title is the item's most frequent non-empty title (a tie goes to the title seen
-- on the latest row); the other columns come from the item's latest row.
-- Across imports the newest import wins, for the columns the file maps: $mapped_<column> (BOOLEAN) says whether it maps
-- the column. A mapped column overwrites the stored value, an empty value included (it becomes NULL); an unmapped one
-- keeps the stored value (a new item_id gets NULL there). $batch_id: INTEGER. Returns the number of items written.
INSERT INTO products (item_id, title, category, brand, price, description, batch_id)
WITH title_counts AS (
    SELECT item_id, title, count(*) AS n, max(rowid) AS last_row
    FROM ingest_stage
    WHERE reason IS NULL AND title IS NOT NULL
    GROUP BY ALL
),
best_title AS (
    SELECT item_id, first(title ORDER BY n DESC, last_row DESC) AS title
    FROM title_counts
    GROUP BY item_id
),
latest AS (
    SELECT *
    FROM ingest_stage
    WHERE reason IS NULL
    QUALIFY row_number() OVER (PARTITION BY item_id ORDER BY rowid DESC) = 1
)
SELECT latest.item_id, best_title.title, latest.category, latest.brand, latest.price, latest.description, $batch_id
FROM latest
LEFT JOIN best_title USING (item_id)
ON CONFLICT (item_id) DO UPDATE SET
    title = CASE WHEN $mapped_title THEN excluded.title ELSE products.title END,
    category = CASE WHEN $mapped_category THEN excluded.category ELSE products.category END,
    brand = CASE WHEN $mapped_brand THEN excluded.brand ELSE products.brand END,
    price = CASE WHEN $mapped_price THEN excluded.price ELSE products.price END,
    description = CASE WHEN $mapped_description THEN excluded.description ELSE products.description END,
    batch_id = excluded.batch_id
