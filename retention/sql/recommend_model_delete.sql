-- Delete the all-feedback models of saved runs by id.
-- $run_ids: BIGINT[], the runs whose models go (ids without a model are ignored).
DELETE FROM recommender_models WHERE list_contains($run_ids, run_id)
