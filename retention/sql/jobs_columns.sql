-- The columns of a job as retention.jobs reads them (a part of the jobs_* queries). No parameters.
SELECT job_id, kind, params, started_by, host, pid, process, started_at, updated_at, progress, message, status,
    result, error
FROM jobs
