-- Rebuild the activity rollup (migration 002) from orders, events and users.
-- Day rows are aggregated from the raw tables once; rollup_refresh_orders_grain.sql and
-- rollup_refresh_events_grain.sql add week and month rows
-- from the day rows.
DELETE FROM rollup_users;
DELETE FROM rollup_order_periods;
DELETE FROM rollup_event_periods;
DELETE FROM rollup_state;

INSERT INTO rollup_users
WITH
purchase_starts AS (
    SELECT user_id, min(ts) FILTER (WHERE quantity > 0) AS first_purchase_ts FROM orders GROUP BY user_id
),
event_starts AS (
    SELECT user_id, min(ts) AS first_event_ts FROM events GROUP BY user_id
),
ids AS (
    SELECT user_id FROM purchase_starts UNION SELECT user_id FROM event_starts UNION SELECT user_id FROM users
)
SELECT ids.user_id, p.first_purchase_ts, e.first_event_ts, u.signup_ts
FROM ids
LEFT JOIN purchase_starts AS p USING (user_id)
LEFT JOIN event_starts AS e USING (user_id)
LEFT JOIN users AS u USING (user_id);

INSERT INTO rollup_order_periods
WITH days AS (
    SELECT
        user_id,
        ts::DATE AS period_start,
        count(*) FILTER (WHERE quantity > 0)::INTEGER AS purchase_lines,
        sum(quantity * unit_price) AS revenue
    FROM orders
    GROUP BY ALL
)
SELECT
    'day', d.period_start, d.user_id,
    r.first_purchase_ts::DATE, r.first_event_ts::DATE, r.signup_ts::DATE,
    d.purchase_lines, d.revenue
FROM days AS d JOIN rollup_users AS r USING (user_id);

INSERT INTO rollup_event_periods
WITH days AS (
    SELECT user_id, ts::DATE AS period_start, event_type, count(*)::INTEGER AS events
    FROM events
    GROUP BY ALL
)
SELECT
    'day', d.period_start, d.user_id, d.event_type,
    r.first_purchase_ts::DATE, r.first_event_ts::DATE, r.signup_ts::DATE,
    d.events
FROM days AS d JOIN rollup_users AS r USING (user_id);

INSERT INTO rollup_state
SELECT greatest((SELECT max(ts) FROM orders), (SELECT max(ts) FROM events)), now()::TIMESTAMP;
