-- Newest data per canonical table, in the order orders, events, ratings, users, products: rows (BIGINT),
-- newest_ts (the newest row's own timestamp; NULL for users and products, which have none), newest_batch (the
-- newest import batch that left rows in the table: batch ids are issued in import order) and newest_import (that
-- batch's imported_at; NULL when its log entry is gone). No parameters.
WITH per_table AS (
    SELECT 1 AS position, 'orders' AS table_name, count(*) AS rows, max(ts) AS newest_ts, max(batch_id) AS newest_batch
    FROM orders
    UNION ALL
    SELECT 2, 'events', count(*), max(ts), max(batch_id) FROM events
    UNION ALL
    SELECT 3, 'ratings', count(*), max(ts), max(batch_id) FROM ratings
    UNION ALL
    SELECT 4, 'users', count(*), NULL::TIMESTAMP, max(batch_id) FROM users
    UNION ALL
    SELECT 5, 'products', count(*), NULL::TIMESTAMP, max(batch_id) FROM products
)
SELECT p.table_name, p.rows, p.newest_ts, p.newest_batch, b.imported_at AS newest_import
FROM per_table AS p
LEFT JOIN import_batches AS b ON b.batch_id = p.newest_batch
ORDER BY p.position
