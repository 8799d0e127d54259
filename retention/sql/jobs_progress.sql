-- A running job's progress. Parameters: $job_id BIGINT, $progress DOUBLE in [0, 1], $message VARCHAR.
UPDATE jobs
SET progress = $progress, message = $message, updated_at = now()::TIMESTAMP
WHERE job_id = $job_id AND status = 'running'
