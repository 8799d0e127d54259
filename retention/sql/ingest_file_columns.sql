-- A file's columns in file order: column_name (for a CSV, its header), column_type, and DESCRIBE's other columns.
-- Parameters: those of the reader part (ingest_read_*.sql).
DESCRIBE SELECT * FROM
-- @part reader
