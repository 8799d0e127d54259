-- Save one evaluated recommender run; returns its id.
-- $model: VARCHAR, registry name             $params, $split, $metrics: VARCHAR, JSON text
-- $k: INTEGER, list length                   $fit_seconds, $score_seconds: DOUBLE, seconds
-- $created_at: TIMESTAMP, when it was saved.
INSERT INTO model_runs (run_id, model, params, split, k, metrics, fit_seconds, score_seconds, created_at)
VALUES (nextval('model_run_seq'), $model, $params, $split, $k, $metrics, $fit_seconds, $score_seconds, $created_at)
RETURNING run_id
