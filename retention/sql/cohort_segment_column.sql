-- Each user's breakdown segment from a users column, the "segments" part of cohort_table.sql,
-- cohort_segments.sql and cohort_cell_users.sql. $breakdown: a users column checked by the caller.
-- Columns: user_id, segment (VARCHAR, NULL without a value).
SELECT user_id, CAST(struct_extract(row, $breakdown) AS VARCHAR) AS segment
FROM (SELECT user_id, users AS row FROM users)
