-- Check and type the order lines of a file into the temp table ingest_stage.
-- The source part in FROM (ingest_file_orders.sql) is the select of the file's mapped columns as text,
-- named canonically (NULL when empty or unmapped), plus source_row (the whole row, kept as JSON for rejects).
-- $ts_format: VARCHAR, a strptime layout, or NULL for ISO 8601. $default_quantity, $default_unit_price,
-- $default_discount: DOUBLE, from schema.COLUMN_DEFAULTS. The reader part's parameters ($path, ...).
-- reason is NULL for a loadable row, else its first problem. The stage keeps the file's order, so a
-- row's number in the file is its rowid plus the number of the first data row (see ingest_rejects.sql).
-- quantity <= 0 is a return or cancellation and is loaded; discount, when given, is a share in [0, 1].
-- The source also has the columns of products and users an order line can carry (schema.ALSO_FILLS:
-- title, category, brand, price, description; signup_ts, country, channel, email), NULL when unmapped;
-- they are typed and checked as the products and users imports do, and fill those tables
-- (ingest_fill_products.sql, ingest_fill_users.sql).
-- Checks test the cheap typed value first so that the text is looked at again only on failure.
CREATE TEMP TABLE ingest_stage AS
WITH typed AS (
    SELECT
        source_row,
        normalize_id(order_id) AS order_id,
        normalize_id(user_id) AS user_id,
        normalize_id(item_id) AS item_id,
        ts AS ts_text,
        parse_ts(ts, $ts_format) AS ts,
        quantity AS quantity_text,
        parse_number(quantity) AS quantity,
        unit_price AS unit_price_text,
        parse_number(unit_price) AS unit_price,
        discount AS discount_text,
        parse_number(discount) AS discount,
        clean_text(title) AS title,
        clean_text(category) AS category,
        clean_text(brand) AS brand,
        price AS price_text,
        parse_number(price) AS price,
        clean_text(description) AS description,
        signup_ts AS signup_ts_text,
        parse_ts(signup_ts, $ts_format) AS signup_ts,
        clean_text(country) AS country,
        clean_text(channel) AS channel,
        clean_text(email) AS email
    FROM (
        -- @part source
    )
),
checked AS (
    SELECT
        *,
        CASE
            WHEN order_id IS NULL THEN 'missing order_id'
            WHEN user_id IS NULL THEN 'missing user_id'
            WHEN ts IS NULL AND NOT present(ts_text) THEN 'missing ts'
            WHEN ts IS NULL THEN 'unparseable ts'
            WHEN quantity IS NULL AND present(quantity_text) THEN 'non-numeric quantity'
            WHEN unit_price IS NULL AND present(unit_price_text) THEN 'non-numeric unit_price'
            WHEN discount IS NULL AND present(discount_text) THEN 'non-numeric discount'
            WHEN discount NOT BETWEEN 0 AND 1 THEN 'discount outside 0-1'
            WHEN price IS NULL AND present(price_text) THEN 'non-numeric price'
            WHEN signup_ts IS NULL AND present(signup_ts_text) THEN 'unparseable signup_ts'
        END AS reason
    FROM typed
)
SELECT
    order_id,
    user_id,
    item_id,
    ts,
    coalesce(quantity, $default_quantity) AS quantity,
    coalesce(unit_price, $default_unit_price) AS unit_price,
    coalesce(discount, $default_discount) AS discount,
    title,
    category,
    brand,
    price,
    description,
    signup_ts,
    country,
    channel,
    email,
    reason,
    CASE WHEN reason IS NOT NULL THEN CAST(to_json(source_row) AS VARCHAR) END AS raw
FROM checked
