-- Retention campaigns: their configuration, arms, members and recorded results.
CREATE SEQUENCE campaign_seq START 1;

CREATE TABLE campaigns (
    campaign_id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    config VARCHAR NOT NULL,             -- JSON of the campaign configuration (retention.campaigns.config)
    status VARCHAR NOT NULL CHECK (status IN ('draft', 'launched', 'measured', 'closed')),
    idempotency_key VARCHAR UNIQUE,      -- a second launch with the same key returns this campaign
    parent_id INTEGER,                   -- the campaign whose results proposed this wave's split
    wave INTEGER NOT NULL DEFAULT 1,
    horizon_days INTEGER NOT NULL,       -- retention = a purchase within this many days after start_ts
    scores_as_of DATE,                   -- the churn scoring run the audience was drawn from:
    scores_model_version VARCHAR,        --   its as_of and model_version
    start_ts TIMESTAMP,                  -- latest order in the warehouse at launch: the window starts after it
    created_at TIMESTAMP NOT NULL,
    launched_at TIMESTAMP
);

-- One row per arm of a launched campaign, control included, with the assumptions it was launched with.
CREATE TABLE campaign_arms (
    campaign_id INTEGER NOT NULL,
    arm VARCHAR NOT NULL,                -- arm name, or 'control' for the holdout
    template VARCHAR,
    share DOUBLE NOT NULL,               -- share of the campaign's members, in (0, 1]
    cost_per_contact DOUBLE NOT NULL,
    discount_share DOUBLE NOT NULL,      -- share of the next order given away, in [0, 1)
    uplift_low DOUBLE,
    uplift_likely DOUBLE,
    uplift_high DOUBLE,
    recommender_run INTEGER,
    PRIMARY KEY (campaign_id, arm)
);

CREATE TABLE campaign_members (
    campaign_id INTEGER NOT NULL,
    user_id VARCHAR NOT NULL,
    arm VARCHAR NOT NULL,                -- arm name, or 'control' (never exported for contact)
    risk DOUBLE NOT NULL,                -- churn probability at launch, in [0, 1]
    risk_decile INTEGER NOT NULL,        -- 1 (lowest risk) .. 10, the assignment stratum
    assignment DOUBLE NOT NULL,          -- the hash of (campaign id, user id) as a number in [0, 1)
    expected_value DOUBLE NOT NULL,      -- average net order value before launch
    reasons VARCHAR,                     -- the churn score's reasons at launch (exported with the member)
    PRIMARY KEY (campaign_id, user_id)
);

-- The last recorded measurement of each arm against control.
CREATE TABLE campaign_results (
    campaign_id INTEGER NOT NULL,
    arm VARCHAR NOT NULL,
    measured_through TIMESTAMP NOT NULL, -- latest order the measurement saw
    results VARCHAR NOT NULL,            -- JSON object of the arm's measured row
    PRIMARY KEY (campaign_id, arm)
);
