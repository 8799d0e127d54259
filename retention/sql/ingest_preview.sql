-- The first rows of a file, as the reader part gives them (CSV values as text); nothing is typed or checked.
-- Parameters: those of the reader part (ingest_read_*.sql), and $rows: INTEGER, how many rows.
SELECT * FROM
-- @part reader
LIMIT $rows
