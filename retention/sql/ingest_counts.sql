-- Rows of ingest_stage by outcome: reason NULL for the loadable rows, else the reject reason.
SELECT reason, count(*) AS rows
FROM ingest_stage
GROUP BY reason
ORDER BY rows DESC, reason
