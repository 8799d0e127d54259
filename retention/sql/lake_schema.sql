-- Every table and column of the warehouse's schema, in column order: table_name, column_name, data_type.
SELECT table_name, column_name, data_type
FROM information_schema.columns
WHERE table_schema = 'main'
ORDER BY table_name, ordinal_position
