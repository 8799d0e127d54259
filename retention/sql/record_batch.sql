-- One row of import_batches. Parameters: $batch_id INTEGER, $table_name, $source_name, $sha256 VARCHAR,
-- $rows_read, $rows_loaded, $rows_rejected BIGINT, $duplicates_found BIGINT, $duplicates_policy VARCHAR ('keep' or 'drop').
INSERT INTO import_batches (
    batch_id, table_name, source_name, sha256, rows_read, rows_loaded, rows_rejected, imported_at,
    duplicates_found, duplicates_policy
)
VALUES (
    $batch_id, $table_name, $source_name, $sha256, $rows_read, $rows_loaded, $rows_rejected, now()::TIMESTAMP,
    $duplicates_found, $duplicates_policy
)
