-- Whether any import batch holds synthetic sample data. Parameters: $prefix (VARCHAR, see sample_batch_filter.sql).
SELECT EXISTS (
    SELECT 1 FROM import_batches WHERE
    -- @part filter
) AS present
