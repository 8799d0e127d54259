-- Jobs that failed or were interrupted, and refresh runs that failed, within $days (INTEGER) days before $now
-- (TIMESTAMP; NULL for the database's now()), newest first, at most $limit (INTEGER). A failed job of kind
-- $refresh_kind (VARCHAR) is the job record of a failed refresh run, listed once, as the run. Returns what ('job' or
-- 'refresh'), id, kind (the job's kind; 'refresh' for a run), started_by, started_at, ended_at (a job's last
-- word; a run's finish, NULL when it never finished), status and error (a job's sentence; a run's failed steps).
WITH bounds AS (
    SELECT coalesce($now::TIMESTAMP, now()::TIMESTAMP) - to_days($days::INTEGER) AS since
),
failed_jobs AS (
    SELECT 'job' AS what, job_id AS id, kind, started_by, started_at, updated_at AS ended_at, status, error
    FROM jobs
    WHERE status IN ('failed', 'interrupted') AND updated_at >= (SELECT since FROM bounds)
        AND NOT (status = 'failed' AND kind = $refresh_kind)
),
failed_runs AS (
    SELECT 'refresh' AS what, run_id AS id, 'refresh' AS kind, NULL AS started_by, started_at,
        finished_at AS ended_at, status,
        (
            SELECT string_agg(s ->> 'step' || ': ' || coalesce(s ->> 'outcome', ''), '; ')
            FROM (SELECT unnest(steps::JSON[]) AS s)
            WHERE s ->> 'status' = 'failed'
        ) AS error
    FROM refresh_runs
    WHERE status = 'failed' AND started_at >= (SELECT since FROM bounds)
)
SELECT * FROM failed_jobs
UNION ALL
SELECT * FROM failed_runs
ORDER BY started_at DESC, id DESC
LIMIT $limit
