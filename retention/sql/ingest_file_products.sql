-- The rows of a file being imported into products, its mapped columns under their canonical names (a part
-- filled into the "-- @part source" slot of ingest_stage_products.sql). The reader part reads the file; each row is
-- also kept whole as source_row (a struct keyed by the file's own column names) for the reject log.
-- Parameters: $source_item_id, $source_title, $source_category, $source_brand, $source_price, $source_description:
-- VARCHAR, the file column mapped to that canonical column, or NULL when none is.
SELECT
    file_column(retention_file_row, $source_item_id) AS item_id,
    file_column(retention_file_row, $source_title) AS title,
    file_column(retention_file_row, $source_category) AS category,
    file_column(retention_file_row, $source_brand) AS brand,
    file_column(retention_file_row, $source_price) AS price,
    file_column(retention_file_row, $source_description) AS description,
    retention_file_row AS source_row
FROM
    -- @part reader
    AS retention_file_row
