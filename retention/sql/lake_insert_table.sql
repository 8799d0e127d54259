-- Load a lake table's rows (registered as lake_rows) into the in-memory warehouse's {table}, matching columns
-- by name; columns the lake lacks stay NULL.
INSERT INTO {table} BY NAME SELECT * FROM lake_rows
