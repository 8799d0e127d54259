-- Note for the rollup refresh (retention.rollups.refresh_changed) the users of the rows about to be loaded.
INSERT INTO rollup_touched
SELECT DISTINCT user_id FROM ingest_stage WHERE reason IS NULL
