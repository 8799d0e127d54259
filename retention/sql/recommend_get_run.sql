-- One saved recommender run (no row when there is none).
-- $run_id: BIGINT, the run.
SELECT run_id, name, model, params, split, k, metrics, fit_seconds, score_seconds, created_at, data_version
FROM model_runs
WHERE run_id = $run_id
