-- What the At-risk page shows of a scoring run (scores, features, SHAP values, holdout metrics), kept so that a
-- restarted server, or a scoring run by the CLI or a refresh in another process, is shown without training again.
-- One run per (as_of, horizon_days): the newest replaces the one before.
CREATE TABLE churn_scorings (
    as_of DATE NOT NULL,
    horizon_days INTEGER NOT NULL,
    inputs_version VARCHAR NOT NULL,     -- the orders, users and non-product codes it scored (churn.inputs_version)
    model_version VARCHAR NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    size_bytes BIGINT NOT NULL,          -- of the blob
    run BLOB NOT NULL,                   -- the zlib-compressed pickle of a retention.churn.ScoringResult, no model
    PRIMARY KEY (as_of, horizon_days)
);
