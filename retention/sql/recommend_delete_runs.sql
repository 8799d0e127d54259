-- Delete saved recommender runs by id.
-- $run_ids: BIGINT[], the runs to delete (ids that do not exist are ignored).
DELETE FROM model_runs WHERE list_contains($run_ids, run_id)
