-- Earlier imports of the same file (same sha256) into the same table.
SELECT batch_id, source_name, imported_at, rows_loaded
FROM import_batches
WHERE table_name = $table_name AND sha256 = $sha256
ORDER BY batch_id
