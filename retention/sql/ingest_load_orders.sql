-- Append the loadable rows of ingest_stage to orders: all of them (lines part ingest_lines_all.sql) or one of
-- each set of exact duplicates (ingest_lines_distinct.sql). $batch_id: INTEGER, the import's batch.
-- retention.ingest runs it without preserving insertion order (a table's rows have no order).
INSERT INTO orders (order_id, user_id, item_id, ts, quantity, unit_price, discount, batch_id)
SELECT order_id, user_id, item_id, ts, quantity, unit_price, discount, $batch_id
FROM (
-- @part lines
) AS lines
