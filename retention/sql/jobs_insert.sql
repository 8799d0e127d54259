-- A new running job. Parameters: $kind, $params (JSON text), $started_by, $host VARCHAR, $pid INTEGER,
-- $process, $message VARCHAR. Returns its job_id.
INSERT INTO jobs (
    job_id, kind, params, started_by, host, pid, process, started_at, updated_at, progress, message, status
)
VALUES (
    nextval('job_seq'), $kind, $params, $started_by, $host, $pid, $process, now()::TIMESTAMP, now()::TIMESTAMP,
    0, $message, 'running'
)
RETURNING job_id
