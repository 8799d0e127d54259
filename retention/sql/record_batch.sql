INSERT INTO import_batches
VALUES ($batch_id, $table_name, $source_name, $sha256, $rows_read, $rows_loaded, $rows_rejected, now()::TIMESTAMP)
