-- The rejected rows of one import batch, in file order ($limit NULL: all of them).
SELECT row_number, reason, raw
FROM import_rejects
WHERE batch_id = $batch_id
ORDER BY row_number
LIMIT $limit
