-- Reader part (filled into a "-- @part reader" slot): the rows of a CSV or CSV.gz file, every column as text,
-- the separator detected. The header is always the first line: DuckDB's sniffer may otherwise skip lines it
-- finds odd. ingest_read_csv_sep.sql is the same with the separator given.
-- $path: VARCHAR, the file. $compression: VARCHAR, 'gzip' or 'none'.
read_csv($path, all_varchar = true, header = true, skip = 0, compression = $compression)
