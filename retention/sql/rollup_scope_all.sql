-- Scope of a full rebuild of the activity rollup (migration 002): every user.
-- rollup_refresh.sql reads the canonical rows through the rollup_scope_* views and appends to the
-- rollup tables, so their rows are deleted here first.
CREATE OR REPLACE TEMP VIEW rollup_scope_orders AS SELECT user_id, ts, quantity, unit_price FROM orders;
CREATE OR REPLACE TEMP VIEW rollup_scope_events AS SELECT user_id, ts, event_type FROM events;
CREATE OR REPLACE TEMP VIEW rollup_scope_users AS SELECT user_id, signup_ts FROM users;

DELETE FROM rollup_users;
DELETE FROM rollup_order_periods;
DELETE FROM rollup_event_periods;
