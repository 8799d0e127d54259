-- Every running job, with whether it has said nothing for $stale_seconds (DOUBLE) or more.
SELECT job_id, started_by, host, pid, process,
    updated_at < now()::TIMESTAMP - to_seconds($stale_seconds) AS quiet
FROM jobs
WHERE status = 'running'
ORDER BY job_id
