-- Delete the rows that the given import batches put into one canonical table.
-- {table}: the table's name, checked against the schema by the runner (names=).
-- $batch_ids: BIGINT[], the batches.
DELETE FROM {table} WHERE list_contains($batch_ids, batch_id)
