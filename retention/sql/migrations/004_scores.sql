-- Churn risk scores: one row per scored customer per scoring run.
CREATE TABLE scores (
    as_of DATE NOT NULL,             -- features use data up to the end of this day
    horizon_days INTEGER NOT NULL,   -- churn = no purchase in this many days after as_of
    model_version VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    risk DOUBLE NOT NULL,            -- calibrated probability of churning, in [0, 1]
    value DOUBLE NOT NULL,           -- net revenue of the customer up to as_of (returns subtracted)
    recency_days DOUBLE,             -- days from the last purchase to as_of
    reasons VARCHAR,                 -- top three reasons in plain words, joined by '; '
    scored_at TIMESTAMP NOT NULL,
    PRIMARY KEY (as_of, horizon_days, model_version, user_id)
);
