-- Append the loadable rows of ingest_stage to ratings;
-- retention.ingest runs it without preserving insertion order (a table's rows have no order).
INSERT INTO ratings (user_id, item_id, rating, ts, batch_id)
SELECT user_id, item_id, rating, ts, $batch_id
FROM ingest_stage
WHERE reason IS NULL
