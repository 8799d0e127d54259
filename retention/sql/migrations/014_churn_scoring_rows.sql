-- A saved scoring run's customers, kept beside churn_scorings (which from now on keeps only what the At-risk page
-- shows whole: holdout metrics, calibration, summary, feature importance and the beeswarm's sample), so that the
-- page's first visit reads the scores as a table and one customer's explanation when it is asked for, not a blob
-- of every customer's features and SHAP values (about 300 MB at a million customers).
CREATE TABLE churn_scoring_customers (
    as_of DATE NOT NULL,                 -- the run (churn_scorings' key)
    horizon_days INTEGER NOT NULL,
    position INTEGER NOT NULL,           -- rank in the run, 0 = riskiest (ties by user_id)
    user_id VARCHAR NOT NULL,            -- risk, value, recency and reasons are in scores, under the run's model
    orders BIGINT NOT NULL,              -- purchase orders up to as_of
    channel VARCHAR,
    country VARCHAR
);
-- Each block of consecutive positions: the customers' feature rows and SHAP values (retention.churn.saved_waterfall).
CREATE TABLE churn_scoring_details (
    as_of DATE NOT NULL,
    horizon_days INTEGER NOT NULL,
    first_position INTEGER NOT NULL,     -- the block holds positions from this one up to the next block's first
    detail BLOB NOT NULL,                -- zlib-compressed pickle of (feature rows, SHAP values), in position order
    PRIMARY KEY (as_of, horizon_days, first_position)
);
