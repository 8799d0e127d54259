-- Set DuckDB's memory limit for this database (a global setting): beyond it, operators and temp tables spill to disk.
-- $memory_limit: VARCHAR, a size such as '4GiB' or '18.8 GiB'.
SET memory_limit = $memory_limit
