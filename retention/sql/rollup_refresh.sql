-- Compute the activity rollup (migration 002) of the users in scope from their orders, events and
-- users rows, read through the temp views of rollup_scope_all.sql or rollup_scope_touched.sql
-- (which deleted the old rows of those users). Orders and events are aggregated to user-days once,
-- in rollup_order_days and rollup_event_days, from which the users' cohort starts come and
-- rollup_refresh_orders_grain.sql and rollup_refresh_events_grain.sql add week and month rows; each user's
-- latest purchase and count of orders with a purchase line (migration 013) come from the lines. The
-- cohort starts are joined to the aggregated rows as they are written (one value per user), so the
-- day rows are written straight into the rollup, never copied into a temp table first.
CREATE OR REPLACE TEMP TABLE rollup_order_days AS
SELECT
    user_id,
    ts::DATE AS period_start,
    min(ts) FILTER (WHERE quantity > 0) AS first_purchase_ts,
    count(*) FILTER (WHERE quantity > 0)::INTEGER AS purchase_lines,
    sum(quantity * unit_price) AS revenue
FROM rollup_scope_orders
GROUP BY ALL;

-- Each user's orders with a purchase line (rollup_refresh_counts.sql finds order ids shared by users in it too).
CREATE OR REPLACE TEMP TABLE rollup_purchase_orders AS
SELECT user_id, order_id, max(ts) AS last_ts FROM rollup_scope_orders WHERE quantity > 0 GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE rollup_event_days AS
SELECT user_id, ts::DATE AS period_start, event_type, min(ts) AS first_event_ts, count(*)::INTEGER AS events
FROM rollup_scope_events
GROUP BY ALL;

INSERT INTO rollup_users (user_id, first_purchase_ts, first_event_ts, signup_ts, last_purchase_ts, purchase_orders)
WITH
purchase_starts AS (
    SELECT user_id, min(first_purchase_ts) AS first_purchase_ts FROM rollup_order_days GROUP BY user_id
),
purchase_orders AS (
    SELECT user_id, max(last_ts) AS last_purchase_ts, count(*)::INTEGER AS purchase_orders
    FROM rollup_purchase_orders
    GROUP BY user_id
),
event_starts AS (
    SELECT user_id, min(first_event_ts) AS first_event_ts FROM rollup_event_days GROUP BY user_id
),
ids AS (
    SELECT user_id FROM purchase_starts UNION SELECT user_id FROM event_starts UNION SELECT user_id FROM rollup_scope_users
)
SELECT ids.user_id, p.first_purchase_ts, e.first_event_ts, u.signup_ts, o.last_purchase_ts, coalesce(o.purchase_orders, 0)
FROM ids
LEFT JOIN purchase_starts AS p USING (user_id)
LEFT JOIN purchase_orders AS o USING (user_id)
LEFT JOIN event_starts AS e USING (user_id)
LEFT JOIN rollup_scope_users AS u USING (user_id);

INSERT INTO rollup_order_periods
SELECT
    'day', d.period_start, d.user_id,
    r.first_purchase_ts::DATE, r.first_event_ts::DATE, r.signup_ts::DATE,
    d.purchase_lines, d.revenue
FROM rollup_order_days AS d JOIN rollup_users AS r USING (user_id);

INSERT INTO rollup_event_periods
SELECT
    'day', d.period_start, d.user_id, d.event_type,
    r.first_purchase_ts::DATE, r.first_event_ts::DATE, r.signup_ts::DATE,
    d.events
FROM rollup_event_days AS d JOIN rollup_users AS r USING (user_id);

DELETE FROM rollup_state;
INSERT INTO rollup_state
SELECT greatest((SELECT max(ts) FROM orders), (SELECT max(ts) FROM events)), now()::TIMESTAMP;
