-- Note for the rollup refresh (retention.rollups.refresh_changed) the users of the rows of the given
-- import batches, before ingest_delete_rows.sql deletes them.
-- {table}: orders, events or users, checked against the schema by the runner (names=).
-- $batch_ids: BIGINT[], the batches.
INSERT INTO rollup_touched
SELECT DISTINCT user_id FROM {table} WHERE list_contains($batch_ids, batch_id)
