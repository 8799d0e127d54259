-- Scheduled refreshes (`python -m retention refresh`): each run with its steps, and the churn models they saved.
CREATE SEQUENCE refresh_run_seq START 1;

CREATE TABLE refresh_runs (
    run_id INTEGER PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,               -- NULL while running (or when the process was killed)
    status VARCHAR NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    settings VARCHAR NOT NULL,           -- JSON object: inbox, retrain policy, model age and quality margins
    steps VARCHAR NOT NULL DEFAULT '[]', -- JSON array, one object per step: step, status, seconds, outcome, details
    scored_token VARCHAR                 -- the data the run's scores were computed on (NULL when it scored nothing)
);

-- A fitted churn model, kept so that a refresh can rescore customers without retraining.
CREATE TABLE churn_models (
    model_version VARCHAR PRIMARY KEY,   -- as in scores.model_version
    horizon_days INTEGER NOT NULL,
    as_of DATE NOT NULL,                 -- the date the model was trained for (latest order day then)
    holdout_date DATE NOT NULL,          -- its newest labelled snapshot (evaluated on, then trained on)
    holdout_roc_auc DOUBLE NOT NULL,     -- ROC AUC of the evaluation model on that snapshot
    trained_at TIMESTAMP NOT NULL,
    model BLOB NOT NULL                  -- the pickled retention.churn.ChurnModel
);
