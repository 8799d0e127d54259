-- How many jobs failed, how many were interrupted, and how many refresh runs failed within $days (INTEGER) days
-- before $now (TIMESTAMP; NULL for the database's now()). A failed job of kind $refresh_kind (VARCHAR) is the job
-- record of a failed refresh run and counts once, as the run. One row: failed_jobs, interrupted_jobs, failed_refreshes.
WITH bounds AS (
    SELECT coalesce($now::TIMESTAMP, now()::TIMESTAMP) - to_days($days::INTEGER) AS since
)
SELECT
    (
        SELECT count(*)
        FROM jobs
        WHERE status = 'failed' AND kind <> $refresh_kind AND updated_at >= (SELECT since FROM bounds)
    ) AS failed_jobs,
    (SELECT count(*) FROM jobs WHERE status = 'interrupted' AND updated_at >= (SELECT since FROM bounds))
        AS interrupted_jobs,
    (SELECT count(*) FROM refresh_runs WHERE status = 'failed' AND started_at >= (SELECT since FROM bounds))
        AS failed_refreshes
