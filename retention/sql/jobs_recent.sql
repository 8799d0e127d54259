-- The latest jobs, newest first. Parameters: $limit INTEGER.
-- @part COLUMNS
ORDER BY started_at DESC, job_id DESC
LIMIT $limit
