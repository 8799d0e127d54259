-- Append the loadable rows of ingest_stage to events, in file order.
INSERT INTO events (user_id, ts, event_type, item_id, session_id, batch_id)
SELECT user_id, ts, event_type, item_id, session_id, $batch_id
FROM ingest_stage
WHERE reason IS NULL
