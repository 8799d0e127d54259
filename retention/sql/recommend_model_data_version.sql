-- A fingerprint of what a recommender fitted on all feedback depends on: the import batches of orders,
-- ratings and products (any import, replacement or sample removal of them changes it) and the non-product
-- codes. Unlike data_version it ignores scores, recommender runs, campaigns and imports of users or events,
-- so writing those does not make a saved model look stale. No parameters.
SELECT concat_ws(
    '-',
    (SELECT count(*) || '.' || coalesce(max(batch_id), 0) || '.' || coalesce(sum(hash(batch_id)) % 1000000007, 0)
     FROM import_batches WHERE table_name IN ('orders', 'ratings', 'products')),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(updated_at)), 0) FROM non_products)
) AS token
