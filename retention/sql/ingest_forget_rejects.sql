-- Drop the reject rows of the given import batches.
DELETE FROM import_rejects WHERE list_contains($batch_ids, batch_id)
