-- Reader part (filled into a "-- @part reader" slot): the rows of a Parquet file, with its own column types.
-- $path: VARCHAR, the file.
read_parquet($path)
