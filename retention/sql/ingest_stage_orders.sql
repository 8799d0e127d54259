-- Check and type the order lines of a file into the temp table ingest_stage.
-- The source part in FROM (ingest_file_orders.sql) is the select of the file's mapped columns as text,
-- named canonically (NULL when empty or unmapped), plus source_row (the whole row, kept as JSON for rejects).
-- $ts_format: VARCHAR, a strptime layout, or NULL for ISO 8601. $ts_earliest, $ts_latest: TIMESTAMP, the
-- plausible window of every timestamp (retention.ingest.rules.TimeWindow). $default_quantity, $default_unit_price,
-- $default_discount: DOUBLE, from schema.COLUMN_DEFAULTS. The reader part's parameters ($path, ...).
-- reason is NULL for a loadable row, else its first problem. The stage keeps the file's order, so a
-- row's number in the file is its rowid plus the number of the first data row (see ingest_rejects.sql).
-- quantity <= 0 is a return or cancellation and is loaded; discount, when given, is a share in [0, 1].
-- The checks are the macros of ingest_macros.sql (id_problem, ts_problem, number_problem); coalesce keeps the first.
-- The source also has the columns of products and users an order line can carry (schema.ALSO_FILLS:
-- title, category, brand, price, description; signup_ts, country, channel, email, first_name, phone, sms_consent),
-- NULL when unmapped;
-- they are typed and checked as the products and users imports do, and fill those tables
-- (ingest_fill_products.sql, ingest_fill_users.sql).
-- Checks test the cheap typed value first so that the text is looked at again only on failure.
CREATE TEMP TABLE ingest_stage AS
WITH typed AS (
    SELECT
        source_row,
        order_id AS order_id_text,
        normalize_id(order_id) AS order_id,
        user_id AS user_id_text,
        normalize_id(user_id) AS user_id,
        item_id AS item_id_text,
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
        clean_text(email) AS email,
        clean_text(first_name) AS first_name,
        clean_text(phone) AS phone,
        sms_consent AS sms_consent_text,
        parse_bool(sms_consent) AS sms_consent
    FROM (
        -- @part source
    )
),
checked AS (
    SELECT
        *,
        coalesce(
            id_problem(order_id_text, order_id, 'order_id', true),
            id_problem(user_id_text, user_id, 'user_id', true),
            CASE WHEN ts IS NULL AND NOT present(ts_text) THEN 'missing ts' END,
            ts_problem(ts_text, ts, $ts_format, 'ts', $ts_earliest, $ts_latest),
            id_problem(item_id_text, item_id, 'item_id', false),
            number_problem(quantity_text, quantity, 'quantity'),
            number_problem(unit_price_text, unit_price, 'unit_price'),
            number_problem(discount_text, discount, 'discount'),
            CASE WHEN discount NOT BETWEEN 0 AND 1 THEN 'discount outside 0-1' END,
            number_problem(price_text, price, 'price'),
            ts_problem(signup_ts_text, signup_ts, $ts_format, 'signup_ts', $ts_earliest, $ts_latest),
            bool_problem(sms_consent_text, sms_consent, 'sms_consent')
        ) AS reason
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
    first_name,
    phone,
    sms_consent,
    reason,
    CASE WHEN reason IS NOT NULL THEN CAST(to_json(source_row) AS VARCHAR) END AS raw
FROM checked
