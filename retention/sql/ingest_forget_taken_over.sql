-- Drop the log entries of earlier import batches of one file into a keyed table (users, products) that no
-- row carries any more: a new import of the file took over every row they wrote.
-- {table}: users or products, checked against the schema by the runner (names=).
-- $table_name: VARCHAR, the same table's name; $sha256: VARCHAR, the file; $batch_id: INTEGER, the new batch.
DELETE FROM import_batches
WHERE table_name = $table_name
    AND sha256 = $sha256
    AND batch_id <> $batch_id
    AND NOT EXISTS (SELECT 1 FROM {table} WHERE {table}.batch_id = import_batches.batch_id)
