-- Append the loadable rows of ingest_stage to orders;
-- retention.ingest runs it without preserving insertion order (a table's rows have no order).
INSERT INTO orders (order_id, user_id, item_id, ts, quantity, unit_price, discount, batch_id)
SELECT order_id, user_id, item_id, ts, quantity, unit_price, discount, $batch_id
FROM ingest_stage
WHERE reason IS NULL
