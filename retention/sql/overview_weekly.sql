-- Weekly active customers (at least one purchase in the week) and new customers
-- (first purchase ever in the week). Weeks start on Monday; the last week is
-- complete only if the data reaches its end.
WITH purchases AS (
    SELECT user_id, date_trunc('week', ts) AS week FROM orders WHERE quantity > 0
),
firsts AS (
    SELECT user_id, min(week) AS first_week FROM purchases GROUP BY user_id
),
latest AS (
    SELECT max(ts) AS as_of FROM orders
)
SELECT
    p.week,
    count(DISTINCT p.user_id) AS active_customers,
    count(DISTINCT p.user_id) FILTER (WHERE p.week = f.first_week) AS new_customers,
    any_value(p.week + INTERVAL 7 DAY <= latest.as_of) AS complete
FROM purchases AS p
JOIN firsts AS f USING (user_id)
CROSS JOIN latest
GROUP BY p.week
ORDER BY p.week
