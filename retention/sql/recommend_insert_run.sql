-- Save one evaluated recommender run; returns its id.
-- $model: VARCHAR, registry name             $params, $split, $metrics: VARCHAR, JSON text
-- $k: INTEGER, list length                   $fit_seconds, $score_seconds: DOUBLE, seconds
-- $created_at: TIMESTAMP, when it was saved  $name: VARCHAR, the run's readable name (unique)
-- $data_version: VARCHAR, the feedback version it was evaluated on.
-- $intervals: VARCHAR, JSON metric -> [low, high]   $slices: VARCHAR, JSON slice -> {"users": n, metric: value}.
INSERT INTO model_runs (
    run_id, model, params, split, k, metrics, fit_seconds, score_seconds, created_at, name, data_version,
    intervals, slices
)
VALUES (
    nextval('model_run_seq'), $model, $params, $split, $k, $metrics, $fit_seconds, $score_seconds, $created_at,
    $name, $data_version, $intervals, $slices
)
RETURNING run_id
