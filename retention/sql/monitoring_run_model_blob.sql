-- The blob of a run's saved all-feedback model, whatever feedback it was fitted on: zero rows or one.
-- $run_id: INTEGER.
SELECT model
FROM recommender_models
WHERE run_id = $run_id
