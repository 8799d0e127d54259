-- Check and type the products of a file into the temp table ingest_stage
-- (source select as in ingest_stage_orders.sql). Duplicate ids are resolved by ingest_load_products.sql.
CREATE TEMP TABLE ingest_stage AS
WITH typed AS (
    SELECT
        source_row,
        item_id AS item_id_text,
        normalize_id(item_id) AS item_id,
        clean_text(title) AS title,
        clean_text(category) AS category,
        clean_text(brand) AS brand,
        price AS price_text,
        parse_number(price) AS price,
        clean_text(description) AS description
    FROM (
        -- @part source
    )
),
checked AS (
    SELECT
        *,
        coalesce(
            id_problem(item_id_text, item_id, 'item_id', true),
            number_problem(price_text, price, 'price')
        ) AS reason
    FROM typed
)
SELECT
    item_id,
    title,
    category,
    brand,
    price,
    description,
    reason,
    CASE WHEN reason IS NOT NULL THEN CAST(to_json(source_row) AS VARCHAR) END AS raw
FROM checked
