-- Keep the all-feedback model of a saved run, replacing the one it had; nothing when the run is gone
-- (deleted while the model was being fitted).
-- $run_id: INTEGER   $data_version: VARCHAR, the feedback it was fitted on   $size_bytes: BIGINT   $model: BLOB.
INSERT OR REPLACE INTO recommender_models (run_id, data_version, fitted_at, size_bytes, model)
SELECT $run_id, $data_version, now()::TIMESTAMP, $size_bytes, $model
WHERE EXISTS (SELECT 1 FROM model_runs WHERE run_id = $run_id)
