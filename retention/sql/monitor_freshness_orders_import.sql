-- Days (DOUBLE) of wall clock since the newest import that loaded order lines; NULL when none did. One small
-- read of import_batches. $now (TIMESTAMP): the wall clock, NULL for the database's now().
SELECT date_diff('second', max(imported_at), coalesce($now::TIMESTAMP, now()::TIMESTAMP)) / 86400.0 AS days
FROM import_batches
WHERE table_name = 'orders' AND rows_loaded > 0
