-- Append a canonical frame, registered on the connection as the view sample_frame, to its table as one
-- import batch (retention.bootstrap.load_frames).
-- {table}: the canonical table's name, checked against the schema by the runner.
-- $batch_id: BIGINT, the import_batches row the rows belong to.
-- The frame has exactly the table's canonical columns, so BY NAME matches them whatever their order.
INSERT INTO {table} BY NAME
SELECT *, $batch_id AS batch_id FROM sample_frame
