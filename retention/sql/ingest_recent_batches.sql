-- The latest import batches, newest first. $limit: INTEGER.
SELECT batch_id, table_name, source_name, rows_read, rows_loaded, rows_rejected, duplicates_found, duplicates_policy,
    imported_at
FROM import_batches
ORDER BY batch_id DESC
LIMIT $limit
