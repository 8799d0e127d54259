-- The warehouse's tables and views with their columns, in the order of the table's definition.
SELECT table_name AS "table", column_name AS "column", data_type AS "type"
FROM information_schema.columns
WHERE table_catalog = current_database() AND table_schema = 'main'
ORDER BY table_name, ordinal_position
