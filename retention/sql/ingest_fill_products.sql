-- Fill products from the loadable order lines of ingest_stage (an orders import that maps product columns).
-- One row per item_id. Each column is the value of the item's newest line that has one (by ts, then file
-- order: the stage's rowid), so a line without a title does not blank the title. price is the mapped price
-- or, with $price_from_unit_price (BOOLEAN: price unmapped, unit_price mapped), the unit price of the item's
-- newest purchase line (quantity > 0; its newest line when it was only ever returned).
-- An item already in products keeps every column the file does not carry (NULL here): only values are set.
-- $batch_id: INTEGER, the products batch of this import. Returns the number of items written.
INSERT INTO products (item_id, title, category, brand, price, description, batch_id)
SELECT
    item_id,
    max_by(title, row(ts, rowid)) FILTER (WHERE title IS NOT NULL),
    max_by(category, row(ts, rowid)) FILTER (WHERE category IS NOT NULL),
    max_by(brand, row(ts, rowid)) FILTER (WHERE brand IS NOT NULL),
    CASE
        WHEN $price_from_unit_price THEN max_by(unit_price, row(quantity > 0, ts, rowid))
        ELSE max_by(price, row(ts, rowid)) FILTER (WHERE price IS NOT NULL)
    END,
    max_by(description, row(ts, rowid)) FILTER (WHERE description IS NOT NULL),
    $batch_id
FROM ingest_stage
WHERE reason IS NULL AND item_id IS NOT NULL
GROUP BY item_id
ON CONFLICT (item_id) DO UPDATE SET
    title = coalesce(excluded.title, products.title),
    category = coalesce(excluded.category, products.category),
    brand = coalesce(excluded.brand, products.brand),
    price = coalesce(excluded.price, products.price),
    description = coalesce(excluded.description, products.description),
    batch_id = excluded.batch_id
