-- Keep the per-customer ranking metrics of a saved run.
-- $run_id: INTEGER, the run   $metrics: BLOB, Parquet (user_id, train_items and one DOUBLE column per metric).
INSERT INTO model_run_users (run_id, metrics)
VALUES ($run_id, $metrics)
