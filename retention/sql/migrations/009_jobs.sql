-- Jobs: long work (scoring, training, a refresh) that runs outside the request or command that started it.
-- One row per job; the process running it writes its progress, then its result or error.
CREATE SEQUENCE job_seq START 1;
CREATE TABLE jobs (
    job_id BIGINT PRIMARY KEY,
    kind VARCHAR NOT NULL,               -- what runs, e.g. 'churn_scoring'
    params VARCHAR NOT NULL,             -- its parameters as JSON, keys sorted (equal text = same job)
    started_by VARCHAR NOT NULL,         -- 'app', 'cli' or 'refresh'
    host VARCHAR NOT NULL,               -- the machine and process that run it
    pid INTEGER NOT NULL,
    process VARCHAR NOT NULL,            -- host, pid and the process's start: tells a live process from a reused pid
    started_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,       -- the last progress, or the end
    progress DOUBLE NOT NULL CHECK (progress BETWEEN 0 AND 1),
    message VARCHAR,                     -- what it is doing, in words
    status VARCHAR NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
    result VARCHAR,                      -- JSON, once done
    error VARCHAR                        -- a sentence, once failed or interrupted
);
