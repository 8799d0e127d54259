-- The temp table in which an import lists the users whose orders, events or users rows it changed
-- (see retention.rollups.track_changes); duplicates are fine.
CREATE OR REPLACE TEMP TABLE rollup_touched (user_id VARCHAR)
