-- A fingerprint of the imported data: the import batches of the tables in $tables (VARCHAR[]; NULL for every
-- table; any import, replacement or sample removal changes it) and the non-product codes. Unlike data_version
-- it ignores scores, recommender runs and campaigns, so that saving those leaves a result computed from the
-- shop's data (a forecast, a scoring, a fitted recommender) current.
SELECT concat_ws(
    '-',
    (SELECT count(*) || '.' || coalesce(max(batch_id), 0) || '.' || coalesce(sum(hash(batch_id)) % 1000000007, 0)
     FROM import_batches
     WHERE $tables::VARCHAR[] IS NULL OR list_contains($tables::VARCHAR[], table_name)),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(updated_at)), 0) FROM non_products)
) AS token
