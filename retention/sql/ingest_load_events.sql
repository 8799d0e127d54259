-- Append the loadable rows of ingest_stage to events;
-- retention.ingest runs it without preserving insertion order (a table's rows have no order).
INSERT INTO events (user_id, ts, event_type, item_id, session_id, batch_id)
SELECT user_id, ts, event_type, item_id, session_id, $batch_id
FROM ingest_stage
WHERE reason IS NULL
