-- The file of the database the connection works in: one row, NULL for an in-memory database.
SELECT path FROM duckdb_databases() WHERE database_name = current_database()
