-- The distribution of days between a customer's consecutive purchase days (see reorder_gaps.sql), one row per
-- length seen, shortest first: gap_days (INTEGER, >= 1), gaps (BIGINT, gaps of that length over every customer),
-- customers (BIGINT, customers with at least one gap of that length). Empty without a repeat customer.
-- No parameters.
WITH gaps AS (
-- @part gaps
)
SELECT gap_days, count(*) AS gaps, count(DISTINCT user_id) AS customers
FROM gaps
GROUP BY gap_days
ORDER BY gap_days
