-- All rows of one table of the warehouse, for a lake export; {table} is checked against the schema's names.
SELECT * FROM {table}
