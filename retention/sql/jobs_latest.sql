-- The newest job of one kind and parameters, whatever its status. Parameters: $kind VARCHAR, $params VARCHAR
-- (JSON text).
-- @part COLUMNS
WHERE kind = $kind AND params = $params
ORDER BY job_id DESC
LIMIT 1
