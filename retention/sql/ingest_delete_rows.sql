-- Delete the rows that the given import batches put into one canonical table.
-- {table}: the table's name, checked against the schema before it is put here.
DELETE FROM {table} WHERE list_contains($batch_ids, batch_id)
