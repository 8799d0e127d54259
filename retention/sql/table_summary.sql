-- Row counts and time ranges of the canonical tables.
SELECT 'users' AS "table", count(*) AS rows, min(signup_ts) AS first_ts, max(signup_ts) AS last_ts FROM users
UNION ALL SELECT 'products', count(*), NULL, NULL FROM products
UNION ALL SELECT 'orders', count(*), min(ts), max(ts) FROM orders
UNION ALL SELECT 'events', count(*), min(ts), max(ts) FROM events
UNION ALL SELECT 'ratings', count(*), min(ts), max(ts) FROM ratings
