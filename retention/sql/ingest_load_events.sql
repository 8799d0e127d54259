-- Append the loadable rows of ingest_stage to events: all of them (lines part ingest_lines_all.sql) or one of
-- each set of exact duplicates (ingest_lines_distinct.sql). $batch_id: INTEGER, the import's batch.
-- retention.ingest runs it without preserving insertion order (a table's rows have no order).
INSERT INTO events (user_id, ts, event_type, item_id, session_id, batch_id)
SELECT user_id, ts, event_type, item_id, session_id, $batch_id
FROM (
-- @part lines
) AS lines
