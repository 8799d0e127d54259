-- Keep the rows of ingest_stage that failed a check, with their row number in the file.
INSERT INTO import_rejects (batch_id, row_number, reason, raw)
SELECT $batch_id, row_number, reason, raw
FROM ingest_stage
WHERE reason IS NOT NULL
ORDER BY row_number
