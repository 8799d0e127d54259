-- Recommenders lab, second generation: a run has a readable name and the feedback version it was evaluated
-- on (runs are comparable only on the same data), 95% intervals of its ranking metrics and its metrics by
-- slice of customers; its per-customer ranking metrics are kept apart, for paired tests between runs.
ALTER TABLE model_runs ADD COLUMN name VARCHAR;          -- shown everywhere, unique among runs ('EASE', 'EASE #2')
ALTER TABLE model_runs ADD COLUMN data_version VARCHAR;  -- feedback version evaluated on (NULL: saved before 015)
ALTER TABLE model_runs ADD COLUMN intervals VARCHAR;     -- JSON: metric -> [low, high], 95% bootstrap over customers
ALTER TABLE model_runs ADD COLUMN slices VARCHAR;        -- JSON: slice -> {"users": n, metric: value, ...}
CREATE TABLE model_run_users (
    run_id INTEGER PRIMARY KEY,  -- as in model_runs.run_id (deleted with its run)
    metrics BLOB NOT NULL        -- Parquet: user_id and one DOUBLE column per ranking metric, one row per customer
);
