-- Record a refresh run's steps so far, its status and, when it ends, its finish time.
-- Parameters: $run_id (INTEGER), $status (VARCHAR: running, ok, failed), $steps (VARCHAR, JSON array),
-- $finished (BOOLEAN: set finished_at now), $scored_token (VARCHAR or NULL).
UPDATE refresh_runs
SET status = $status,
    steps = $steps,
    finished_at = CASE WHEN $finished THEN now()::TIMESTAMP END,
    scored_token = $scored_token
WHERE run_id = $run_id
