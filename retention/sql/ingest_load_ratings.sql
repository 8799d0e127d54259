-- Append the loadable rows of ingest_stage to ratings: all of them (lines part ingest_lines_all.sql) or one of
-- each set of exact duplicates (ingest_lines_distinct.sql). $batch_id: INTEGER, the import's batch.
-- retention.ingest runs it without preserving insertion order (a table's rows have no order).
INSERT INTO ratings (user_id, item_id, rating, ts, batch_id)
SELECT user_id, item_id, rating, ts, $batch_id
FROM (
-- @part lines
) AS lines
