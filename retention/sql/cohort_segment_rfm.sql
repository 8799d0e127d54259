-- Each customer's RFM segment at the newest order's day, the "segments" part of cohort_table.sql,
-- cohort_segments.sql and cohort_cell_users.sql for the breakdown "rfm_segment" (part rfm: rfm_scores;
-- parameters $rfm_as_of, $rfm_grid as there). Columns: user_id, segment (users who never bought have none).
SELECT user_id, segment
FROM (
-- @part rfm
)
