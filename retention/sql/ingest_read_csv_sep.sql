-- Reader part (filled into a "-- @part reader" slot): as ingest_read_csv.sql, with the field separator given.
-- $path: VARCHAR, the file. $compression: VARCHAR, 'gzip' or 'none'. $sep: VARCHAR, the separator.
read_csv($path, all_varchar = true, header = true, skip = 0, compression = $compression, sep = $sep)
