-- The first and latest timestamps of orders and events together (NULL, NULL when both are empty).
SELECT
    least((SELECT min(ts) FROM orders), (SELECT min(ts) FROM events)) AS first_ts,
    greatest((SELECT max(ts) FROM orders), (SELECT max(ts) FROM events)) AS last_ts
