-- The newest running job of one kind and parameters. Parameters: $kind VARCHAR, $params VARCHAR (JSON text).
-- @part COLUMNS
WHERE status = 'running' AND kind = $kind AND params = $params
ORDER BY job_id DESC
LIMIT 1
