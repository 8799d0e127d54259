-- The latest refresh runs, newest first. Parameters: $limit (INTEGER).
SELECT run_id, started_at, finished_at, status, settings, steps, scored_token
FROM refresh_runs
ORDER BY run_id DESC
LIMIT $limit
