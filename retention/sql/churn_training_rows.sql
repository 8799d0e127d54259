-- How many feature rows a set of snapshot dates holds: customers with a purchase up to the end of each date
-- (churn_features.sql gives each of them a row), summed over the dates. Parameters: $snapshots (DATE[]).
WITH snapshots AS (
    SELECT DISTINCT d + INTERVAL 1 DAY AS cutoff FROM (SELECT unnest($snapshots::DATE[]) AS d)
),
firsts AS (
    SELECT min(ts) AS first_ts FROM orders WHERE quantity > 0 GROUP BY user_id
)
SELECT count(*) AS available
FROM firsts AS f
JOIN snapshots AS s ON f.first_ts < s.cutoff
