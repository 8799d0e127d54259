-- Keep the rows of ingest_stage that failed a check, with their row number in the file.
-- The stage holds the file's rows in file order (one CREATE TABLE AS that preserves insertion
-- order, outside any transaction), so rowid 0 is the first data row: $first_row (2 in a CSV,
-- whose header is row 1; 1 in a Parquet file).
INSERT INTO import_rejects (batch_id, row_number, reason, raw)
SELECT $batch_id, rowid + $first_row, reason, raw
FROM ingest_stage
WHERE reason IS NOT NULL
ORDER BY rowid
