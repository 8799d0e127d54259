-- Lines part (filled into a "-- @part lines" slot): every loadable row of ingest_stage.
SELECT * EXCLUDE (reason, raw) FROM ingest_stage WHERE reason IS NULL
