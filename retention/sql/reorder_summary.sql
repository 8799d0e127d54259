-- One row: how many gaps between consecutive purchase days there are (see reorder_gaps.sql), over how many
-- customers, and their median, 80th and 90th percentiles in days (DOUBLE, interpolated between the two nearest
-- gaps as quantile_cont does; NULL without gaps). Every gap of every customer counts once.
-- No parameters.
WITH gaps AS (
-- @part gaps
)
SELECT
    count(*) AS gaps,
    count(DISTINCT user_id) AS customers,
    quantile_cont(gap_days, 0.5) AS median_days,
    quantile_cont(gap_days, 0.8) AS p80_days,
    quantile_cont(gap_days, 0.9) AS p90_days
FROM gaps
