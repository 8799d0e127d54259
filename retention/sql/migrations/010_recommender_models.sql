-- The model of a saved recommender run fitted on all feedback, kept so that recommendations for real
-- customers (the Recommenders page, campaign exports) load it instead of refitting after every restart.
CREATE TABLE recommender_models (
    run_id INTEGER PRIMARY KEY,          -- as in model_runs.run_id (deleted with its run)
    data_version VARCHAR NOT NULL,       -- the feedback it was fitted on (warehouse.imports_version)
    fitted_at TIMESTAMP NOT NULL,
    size_bytes BIGINT NOT NULL,          -- of the blob
    model BLOB NOT NULL                  -- the pickled retention.recommend.Recommender
);
