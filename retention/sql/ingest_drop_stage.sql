-- Drop the import's stage, a TEMP table of the importing connection (see ingest_stage_*.sql).
DROP TABLE IF EXISTS temp.ingest_stage
