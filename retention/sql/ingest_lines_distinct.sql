-- Lines part (filled into a "-- @part lines" slot): the loadable rows of ingest_stage, one of each set of
-- exact duplicates (every column of the stage equal; an unmapped column is NULL, or its default, on every row).
SELECT DISTINCT * EXCLUDE (reason, raw) FROM ingest_stage WHERE reason IS NULL
