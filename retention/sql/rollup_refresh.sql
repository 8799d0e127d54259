-- Rebuild the activity rollup (migration 002) from orders, events and users.
-- Day rows are aggregated from the raw tables once; week and month rows from the day rows.
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

INSERT INTO rollup_order_periods
SELECT
    g.grain,
    date_trunc(g.grain, d.period_start)::DATE AS period_start,
    d.user_id,
    date_trunc(g.grain, any_value(d.first_purchase))::DATE,
    date_trunc(g.grain, any_value(d.first_event))::DATE,
    date_trunc(g.grain, any_value(d.signup))::DATE,
    sum(d.purchase_lines)::INTEGER,
    sum(d.revenue)
FROM rollup_order_periods AS d
CROSS JOIN (VALUES ('week'), ('month')) AS g(grain)
WHERE d.grain = 'day'
GROUP BY g.grain, date_trunc(g.grain, d.period_start), d.user_id
ORDER BY g.grain DESC;

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

INSERT INTO rollup_event_periods
SELECT
    g.grain,
    date_trunc(g.grain, d.period_start)::DATE AS period_start,
    d.user_id,
    d.event_type,
    date_trunc(g.grain, any_value(d.first_purchase))::DATE,
    date_trunc(g.grain, any_value(d.first_event))::DATE,
    date_trunc(g.grain, any_value(d.signup))::DATE,
    sum(d.events)::INTEGER
FROM rollup_event_periods AS d
CROSS JOIN (VALUES ('week'), ('month')) AS g(grain)
WHERE d.grain = 'day'
GROUP BY g.grain, date_trunc(g.grain, d.period_start), d.user_id, d.event_type
ORDER BY g.grain DESC;

INSERT INTO rollup_state
SELECT greatest((SELECT max(ts) FROM orders), (SELECT max(ts) FROM events)), now()::TIMESTAMP;
