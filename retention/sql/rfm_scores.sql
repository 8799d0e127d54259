-- RFM scores and segments of the customers at an as-of day; see retention.rfm. Also the "rfm" part of
-- cohort_segment_rfm.sql (a cohort breakdown) and campaign_audience.sql (an audience filter).
-- $rfm_as_of: DATE or NULL (the day of the newest order); the order lines up to the end of that day count.
-- $rfm_grid: VARCHAR[25], the segment of score cell (R, F) at index (R - 1) * 5 + F (lists count from 1).
-- A customer has a purchase (an order line with quantity > 0) up to the as-of day. Columns: user_id;
-- first_purchase, last_purchase (TIMESTAMP); recency_days (INTEGER >= 0: days from the last purchase's day to the
-- as-of day); frequency (BIGINT: orders with a purchase line); monetary (DOUBLE: net revenue to the cent, quantity
-- x unit price over every line, returns subtract; rounded so that equal sums tie in any order); r, f, m (INTEGER 1-5); segment (VARCHAR); as_of (DATE).
-- A score is 1 + floor(5 x the share of customers strictly worse on that measure): ties share a score.
WITH
rfm_day AS (
    SELECT coalesce($rfm_as_of::DATE, (SELECT max(ts) FROM orders)::DATE) AS as_of
),
rfm_customers AS (
    SELECT
        o.user_id,
        min(o.ts) FILTER (WHERE o.quantity > 0) AS first_purchase,
        max(o.ts) FILTER (WHERE o.quantity > 0) AS last_purchase,
        count(DISTINCT o.order_id) FILTER (WHERE o.quantity > 0) AS frequency,
        round(sum(o.quantity * o.unit_price), 2) AS monetary
    FROM orders AS o, rfm_day AS d
    WHERE o.ts < d.as_of + INTERVAL 1 DAY
    GROUP BY o.user_id
    HAVING bool_or(o.quantity > 0)
),
rfm_ranked AS (
    SELECT
        c.*,
        date_diff('day', c.last_purchase::DATE, d.as_of)::INTEGER AS recency_days,
        d.as_of,
        count(*) OVER () AS customers,
        rank() OVER (ORDER BY c.last_purchase::DATE) - 1 AS worse_r,
        rank() OVER (ORDER BY c.frequency) - 1 AS worse_f,
        rank() OVER (ORDER BY c.monetary) - 1 AS worse_m
    FROM rfm_customers AS c, rfm_day AS d
),
rfm_scored AS (
    SELECT
        * EXCLUDE (customers, worse_r, worse_f, worse_m),
        (1 + floor(5 * worse_r / customers))::INTEGER AS r,
        (1 + floor(5 * worse_f / customers))::INTEGER AS f,
        (1 + floor(5 * worse_m / customers))::INTEGER AS m
    FROM rfm_ranked
)
SELECT
    user_id, first_purchase, last_purchase, recency_days, frequency, monetary, r, f, m,
    list_extract($rfm_grid::VARCHAR[], (r - 1) * 5 + f) AS segment,
    as_of
FROM rfm_scored
