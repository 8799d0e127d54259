-- Exact duplicates among the loadable rows of ingest_stage: further copies of a row whose every column
-- (every mapped column of the file, typed) is equal to an earlier one's. duplicates: BIGINT.
SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (reason, raw) FROM ingest_stage WHERE reason IS NULL))
    AS duplicates
FROM ingest_stage
WHERE reason IS NULL
