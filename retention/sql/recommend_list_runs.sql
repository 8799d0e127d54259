-- Saved recommender runs, newest first. No parameters.
SELECT run_id, name, model, params, split, k, metrics, fit_seconds, score_seconds, created_at, data_version,
    intervals, slices
FROM model_runs
ORDER BY run_id DESC
