-- The pre-counted tables of migration 013, brought up to date after rollup_refresh.sql (whole or for the users
-- in scope): lifecycle and event type counts add the scope users' new share and subtract their share before
-- (rollup_*_before); the users sharing an order id are recounted for the order ids of the scope users (now, and
-- as listed before); the purchased items are listed again. Parts: lifecycle, event_types (as rollup_scope_*.sql),
-- shared_pairs (below).
-- The scope users' new share is counted from their user-days just computed (rollup_order_days,
-- rollup_event_days of rollup_refresh.sql; week and month as rollup_refresh_orders_grain.sql sums them), not by
-- reading their rows back out of the large rollup tables.
CREATE OR REPLACE TEMP VIEW rollup_scope_order_periods AS
SELECT 'day' AS grain, period_start, user_id, purchase_lines FROM rollup_order_days
UNION ALL
SELECT 'week', date_trunc('week', period_start)::DATE, user_id, sum(purchase_lines) FROM rollup_order_days GROUP BY ALL
UNION ALL
SELECT 'month', date_trunc('month', period_start)::DATE, user_id, sum(purchase_lines) FROM rollup_order_days GROUP BY ALL;
CREATE OR REPLACE TEMP VIEW rollup_scope_event_periods AS SELECT 'day' AS grain, event_type, events FROM rollup_event_days;

CREATE OR REPLACE TEMP TABLE rollup_lifecycle_now AS
SELECT grain, period_start, sum(new) AS new, sum("returning") AS "returning", sum(resurrecting) AS resurrecting,
    sum(dormant) AS dormant
FROM (
    SELECT * FROM rollup_lifecycle
    UNION ALL
    SELECT * FROM (
-- @part lifecycle
    )
    UNION ALL
    SELECT grain, period_start, -new, -"returning", -resurrecting, -dormant FROM rollup_lifecycle_before
)
GROUP BY ALL;
DELETE FROM rollup_lifecycle;
INSERT INTO rollup_lifecycle
SELECT * FROM rollup_lifecycle_now WHERE new <> 0 OR "returning" <> 0 OR resurrecting <> 0 OR dormant <> 0
ORDER BY grain, period_start;

CREATE OR REPLACE TEMP TABLE rollup_event_types_now AS
SELECT event_type, sum(events) AS events
FROM (
    SELECT * FROM rollup_event_types
    UNION ALL
    SELECT * FROM (
-- @part event_types
    )
    UNION ALL
    SELECT event_type, -events FROM rollup_event_types_before
)
GROUP BY ALL;
DELETE FROM rollup_event_types;
INSERT INTO rollup_event_types SELECT * FROM rollup_event_types_now WHERE events <> 0;

-- An order id shared by users can start or stop being shared only through a scope user's lines: the order ids
-- of the scope users (now, and as listed before) are recounted from the part shared_pairs (the order and user
-- pairs of those order ids: rollup_shared_pairs_all or rollup_shared_pairs_touched).
CREATE OR REPLACE TEMP TABLE rollup_scope_order_ids AS
SELECT DISTINCT order_id FROM rollup_purchase_orders
UNION
SELECT order_id FROM rollup_shared_orders SEMI JOIN rollup_scope USING (user_id);
DELETE FROM rollup_shared_orders WHERE order_id IN (SELECT order_id FROM rollup_scope_order_ids);
INSERT INTO rollup_shared_orders
SELECT order_id, user_id
FROM (
-- @part shared_pairs
)
QUALIFY count(*) OVER (PARTITION BY order_id) > 1;

DELETE FROM rollup_items;
INSERT INTO rollup_items SELECT DISTINCT item_id FROM orders WHERE quantity > 0 AND item_id IS NOT NULL ORDER BY item_id;
