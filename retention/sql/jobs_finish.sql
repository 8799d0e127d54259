-- The end of a job: done with its result, failed or interrupted with its error. A job marked interrupted by
-- mistake (its process was only quiet) that then finishes records how it really ended.
-- Parameters: $job_id BIGINT, $status VARCHAR ('done', 'failed', 'interrupted'), $result VARCHAR (JSON or NULL),
-- $error VARCHAR (or NULL), $message VARCHAR (or NULL: keep the last one).
UPDATE jobs
SET status = $status,
    progress = CASE WHEN $status = 'done' THEN 1.0 ELSE progress END,
    message = coalesce($message, message),
    result = $result,
    error = $error,
    updated_at = now()::TIMESTAMP
WHERE job_id = $job_id
