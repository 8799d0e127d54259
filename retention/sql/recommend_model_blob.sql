-- The blob of a run's all-feedback model, when it was fitted on the given feedback: zero rows or one.
-- $run_id: INTEGER   $data_version: VARCHAR.
SELECT model
FROM recommender_models
WHERE run_id = $run_id AND data_version = $data_version
