-- What removing the sample data deletes: one row per table, `table_name` and `rows` (BIGINT).
-- Canonical rows, import batches and their rejects: those of the sample's batches. Churn scores,
-- recommender runs, campaigns (with arms, members, results): all of them when the warehouse holds the
-- sample (it loads only into an empty warehouse, so each was computed with its customers), else none.
-- Parameters: $prefix (VARCHAR, see sample_batch_filter.sql).
WITH sample AS (
    SELECT batch_id FROM import_batches WHERE
    -- @part filter
),
present AS (SELECT EXISTS (SELECT 1 FROM sample) AS yes)
SELECT 'users' AS table_name, count(*) AS rows FROM users SEMI JOIN sample USING (batch_id)
UNION ALL SELECT 'products', count(*) FROM products SEMI JOIN sample USING (batch_id)
UNION ALL SELECT 'orders', count(*) FROM orders SEMI JOIN sample USING (batch_id)
UNION ALL SELECT 'events', count(*) FROM events SEMI JOIN sample USING (batch_id)
UNION ALL SELECT 'ratings', count(*) FROM ratings SEMI JOIN sample USING (batch_id)
UNION ALL SELECT 'import_batches', count(*) FROM sample
UNION ALL SELECT 'import_rejects', count(*) FROM import_rejects SEMI JOIN sample USING (batch_id)
UNION ALL SELECT 'scores', count(*) FILTER (WHERE (SELECT yes FROM present)) FROM scores
UNION ALL SELECT 'model_runs', count(*) FILTER (WHERE (SELECT yes FROM present)) FROM model_runs
UNION ALL SELECT 'campaigns', count(*) FILTER (WHERE (SELECT yes FROM present)) FROM campaigns
