-- Customers per country, and how many of them ever ordered
SELECT
    coalesce(u.country, '(unknown)') AS country,
    count(*) AS customers,
    count(*) FILTER (WHERE u.user_id IN (SELECT user_id FROM orders)) AS ordered
FROM users AS u
GROUP BY ALL
ORDER BY customers DESC
