-- Values the audience filters can take: one row per (kind, value), kind in country / channel / cohort / scores_as_of.
SELECT 'country' AS kind, country AS value FROM users WHERE country IS NOT NULL GROUP BY ALL
UNION ALL
SELECT 'channel', channel FROM users WHERE channel IS NOT NULL GROUP BY ALL
UNION ALL
SELECT 'cohort', strftime(first_ts, '%Y-%m') FROM (SELECT min(ts) AS first_ts FROM orders GROUP BY user_id) GROUP BY ALL
UNION ALL
SELECT 'scores_as_of', strftime(as_of, '%Y-%m-%d') FROM scores GROUP BY ALL
ORDER BY kind, value
