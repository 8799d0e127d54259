-- Save one evaluated recommender run; returns its id.
INSERT INTO model_runs (run_id, model, params, split, k, metrics, fit_seconds, score_seconds, created_at)
VALUES (nextval('model_run_seq'), $model, $params, $split, $k, $metrics, $fit_seconds, $score_seconds, $created_at)
RETURNING run_id
