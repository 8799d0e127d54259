-- Drop the log entries of the given import batches (see ingest_forget_rejects.sql for their rejects).
DELETE FROM import_batches WHERE list_contains($batch_ids, batch_id)
