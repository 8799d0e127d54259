-- A fingerprint of what a churn scoring reads: the import batches of orders and users (any import, replacement
-- or sample removal of them changes it) and the non-product codes. Unlike data_version it ignores scores,
-- recommender runs and campaigns, so saving those (another scoring included) leaves a scoring current.
-- No parameters.
SELECT concat_ws(
    '-',
    (SELECT count(*) || '.' || coalesce(max(batch_id), 0) || '.' || coalesce(sum(hash(batch_id)) % 1000000007, 0)
     FROM import_batches WHERE table_name IN ('orders', 'users')),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(updated_at)), 0) FROM non_products)
) AS token
