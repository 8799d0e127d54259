-- A fingerprint of the imported data alone: every import batch (any import, replacement or sample removal
-- changes it) and the non-product codes. Unlike data_version it ignores scores, recommender runs and
-- campaigns, so that a result computed from the shop's data (a forecast) is not redone when those change.
-- No parameters.
SELECT concat_ws(
    '-',
    (SELECT count(*) || '.' || coalesce(max(batch_id), 0) || '.' || coalesce(sum(hash(batch_id)) % 1000000007, 0)
     FROM import_batches),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(updated_at)), 0) FROM non_products)
) AS token
