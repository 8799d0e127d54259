-- DuckDB's memory limit for this database (VARCHAR such as '18.8 GiB'; a global setting, not per connection).
SELECT current_setting('memory_limit')
