-- Delete the per-customer metrics of saved runs by id.
-- $run_ids: BIGINT[], the runs whose per-customer metrics go (ids without any are ignored).
DELETE FROM model_run_users WHERE list_contains($run_ids, run_id)
