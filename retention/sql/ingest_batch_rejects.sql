-- The rejected rows of one import batch, in file order ($limit NULL: all of them).
-- $batch_id: INTEGER. $include_email: BOOLEAN; when false, every e-mail address inside the raw row (the row as
-- JSON) is replaced by '(email hidden)', whichever column held it.
SELECT
    row_number,
    reason,
    CASE
        WHEN $include_email THEN raw
        ELSE regexp_replace(raw, '[^\s"@,;<>()\[\]{}]+@[^\s"@,;<>()\[\]{}]+\.[A-Za-z]{2,}', '(email hidden)', 'g')
    END AS raw
FROM import_rejects
WHERE batch_id = $batch_id
ORDER BY row_number
LIMIT $limit
