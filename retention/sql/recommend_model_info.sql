-- What is saved of a run's all-feedback model, without the blob: zero rows or one.
-- $run_id: INTEGER.
SELECT run_id, data_version, fitted_at, size_bytes
FROM recommender_models
WHERE run_id = $run_id
