-- Recommender evaluation runs, kept so variants can be compared across sessions.
CREATE SEQUENCE model_run_seq START 1;

CREATE TABLE model_runs (
    run_id INTEGER PRIMARY KEY,
    model VARCHAR NOT NULL,          -- registry name, e.g. 'svd', 'content', 'popularity'
    params VARCHAR NOT NULL,         -- JSON object of hyperparameters
    split VARCHAR NOT NULL,          -- JSON object describing the split (kind, cutoff or folds, seed)
    k INTEGER NOT NULL,              -- list length of the ranking metrics
    metrics VARCHAR NOT NULL,        -- JSON object: metric name -> value (null where it does not apply)
    fit_seconds DOUBLE,
    score_seconds DOUBLE,
    created_at TIMESTAMP NOT NULL
);
