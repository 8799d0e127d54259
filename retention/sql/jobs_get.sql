-- One job. Parameters: $job_id BIGINT.
-- @part COLUMNS
WHERE job_id = $job_id
