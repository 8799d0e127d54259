-- Delete saved recommender runs by id.
DELETE FROM model_runs WHERE list_contains($run_ids, run_id)
