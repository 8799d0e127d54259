-- Mark one job interrupted, if it is still running. Parameters: $job_id BIGINT, $error VARCHAR.
UPDATE jobs
SET status = 'interrupted', error = $error, updated_at = now()::TIMESTAMP
WHERE job_id = $job_id AND status = 'running'
