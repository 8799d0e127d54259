-- The latest order of the import batches up to $batch_id (INTEGER): what a model fitted then knew of the orders
-- (NULL when those batches hold no order), and the latest order in the warehouse now.
SELECT
    max(ts) FILTER (WHERE batch_id <= $batch_id) AS cutoff,
    max(ts) AS through
FROM orders
