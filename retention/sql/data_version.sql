-- A fingerprint of everything a cached result can depend on: imports, churn scores, recommender
-- runs, campaigns (their status and recorded results included), non-product codes, notes and the suppression list (saved views
-- are read uncached). No parameters.
SELECT concat_ws(
    '-',
    (SELECT count(*) || '.' || coalesce(max(batch_id), 0) FROM import_batches),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(scored_at)), 0) FROM scores),
    (SELECT count(*) || '.' || coalesce(max(run_id), 0) FROM model_runs),
    (SELECT count(*) || '.' || coalesce(sum(hash(campaign_id, status)) % 1000000007, 0) FROM campaigns),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(measured_through)), 0) FROM campaign_results),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(updated_at)), 0) FROM non_products),
    (SELECT count(*) || '.' || coalesce(max(note_id), 0) FROM notes),
    (SELECT count(*) || '.' || coalesce(epoch_ms(max(added_at)), 0) FROM suppression_list)
) AS token
