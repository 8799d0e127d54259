-- What says that two warehouses hold the same shop for a churn scoring: order lines, their first and last
-- timestamps and net units, and customers. Runs on every engine (a lake's data against the warehouse's).
-- No parameters.
SELECT
    (SELECT count(*) FROM orders) AS order_lines,
    (SELECT min(ts) FROM orders) AS first_order,
    (SELECT max(ts) FROM orders) AS last_order,
    (SELECT coalesce(sum(quantity), 0) FROM orders) AS net_units,
    (SELECT count(*) FROM users) AS users
