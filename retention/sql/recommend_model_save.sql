-- Keep the all-feedback model of a saved run (its earlier model deleted first, in the same transaction).
-- A plain VALUES insert: INSERT OR REPLACE or INSERT ... SELECT with a large blob parameter took several times longer.
-- $run_id: INTEGER   $data_version: VARCHAR, the feedback it was fitted on   $size_bytes: BIGINT   $model: BLOB.
INSERT INTO recommender_models (run_id, data_version, fitted_at, size_bytes, model)
VALUES ($run_id, $data_version, now()::TIMESTAMP, $size_bytes, $model)
