-- The per-customer ranking metrics of saved runs (runs saved without them have no row).
-- $run_ids: BIGINT[], the runs.
SELECT run_id, metrics
FROM model_run_users
WHERE list_contains($run_ids, run_id)
