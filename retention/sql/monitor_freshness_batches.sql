-- The newest $limit (INTEGER) import batches, oldest first: batch_id, table_name, source_name, imported_at,
-- rows_read, rows_loaded, rows_rejected, reject_rate (rows_rejected / rows_read in [0, 1]; NULL for a file without
-- rows) and top_reason (the most common reason among the batch's logged rejects, ties by name; NULL without any).
WITH recent AS (
    SELECT batch_id, table_name, source_name, imported_at, rows_read, rows_loaded, rows_rejected
    FROM import_batches
    ORDER BY batch_id DESC
    LIMIT $limit
),
reasons AS (
    SELECT batch_id, reason, count(*) AS n
    FROM import_rejects
    WHERE batch_id IN (SELECT batch_id FROM recent)
    GROUP BY ALL
),
ranked AS (
    SELECT batch_id, reason, row_number() OVER (PARTITION BY batch_id ORDER BY n DESC, reason) AS rank
    FROM reasons
)
SELECT r.batch_id, r.table_name, r.source_name, r.imported_at, r.rows_read, r.rows_loaded, r.rows_rejected,
    r.rows_rejected / nullif(r.rows_read, 0) AS reject_rate, k.reason AS top_reason
FROM recent AS r
LEFT JOIN ranked AS k ON k.batch_id = r.batch_id AND k.rank = 1
ORDER BY r.batch_id
