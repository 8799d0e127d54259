-- A fingerprint of the data churn scores are computed from: the import batches (any import, replacement or
-- sample removal changes it) and the non-product codes. Unlike data_version it ignores scores, recommender
-- runs and campaigns, so saving scores does not make them look stale. No parameters.
SELECT concat_ws(
    '-',
    (SELECT count(*) || '.' || coalesce(max(batch_id), 0) FROM import_batches),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(updated_at)), 0) FROM non_products)
) AS token
