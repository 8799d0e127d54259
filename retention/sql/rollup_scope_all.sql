-- Scope of a full rebuild of the activity rollup (migration 002) and its pre-counted tables (013): every user.
-- rollup_refresh.sql reads the canonical rows through the rollup_scope_* views and appends to the
-- rollup tables, so their rows are deleted here first; the counts "before" (rollup_*_before, which
-- rollup_refresh_counts.sql subtracts) and the list of users rollup_scope are then empty. Parts: lifecycle (rollup_lifecycle_contributions),
-- event_types (rollup_event_type_contributions).
CREATE OR REPLACE TEMP VIEW rollup_scope_orders AS SELECT user_id, order_id, ts, quantity, unit_price FROM orders;
CREATE OR REPLACE TEMP VIEW rollup_scope_events AS SELECT user_id, ts, event_type FROM events;
CREATE OR REPLACE TEMP VIEW rollup_scope_users AS SELECT user_id, signup_ts FROM users;
CREATE OR REPLACE TEMP VIEW rollup_scope_order_periods AS SELECT * FROM rollup_order_periods;
CREATE OR REPLACE TEMP VIEW rollup_scope_event_periods AS SELECT * FROM rollup_event_periods;

DELETE FROM rollup_users;
DELETE FROM rollup_order_periods;
DELETE FROM rollup_event_periods;
DELETE FROM rollup_lifecycle;
DELETE FROM rollup_event_types;
DELETE FROM rollup_shared_orders;

CREATE OR REPLACE TEMP TABLE rollup_scope (user_id VARCHAR);

CREATE OR REPLACE TEMP TABLE rollup_lifecycle_before AS
-- @part lifecycle
;
CREATE OR REPLACE TEMP TABLE rollup_event_types_before AS
-- @part event_types
;
