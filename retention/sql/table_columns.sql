-- The columns of one table of the warehouse, in order: column_name, data_type. ?: the table's name.
SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position
