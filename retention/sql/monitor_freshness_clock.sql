-- The warehouse's clocks, one row. $now (TIMESTAMP): the wall clock, NULL for the database's now() (the clock
-- import_batches.imported_at is written with). Returns now, last_import (the newest import batch of any table),
-- last_orders_import (the newest import that loaded order lines), newest_order (the data clock: the newest
-- order's ts) and newest_order_imported (when the batch holding that order was imported).
SELECT
    coalesce($now::TIMESTAMP, now()::TIMESTAMP) AS now,
    (SELECT max(imported_at) FROM import_batches) AS last_import,
    (SELECT max(imported_at) FROM import_batches WHERE table_name = 'orders' AND rows_loaded > 0) AS last_orders_import,
    (SELECT max(ts) FROM orders) AS newest_order,
    (
        SELECT min(b.imported_at)
        FROM orders AS o
        JOIN import_batches AS b ON b.batch_id = o.batch_id
        WHERE o.ts = (SELECT max(ts) FROM orders)
    ) AS newest_order_imported
