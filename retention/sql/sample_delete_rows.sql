-- Delete the rows of {table} (a canonical table, import_rejects or, last, import_batches) that belong to
-- the sample's import batches. Parameters: $prefix (VARCHAR, see sample_batch_filter.sql).
DELETE FROM {table}
WHERE batch_id IN (
    SELECT batch_id FROM import_batches WHERE
    -- @part filter
)
