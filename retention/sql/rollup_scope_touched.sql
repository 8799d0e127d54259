-- Scope of an incremental refresh of the activity rollup: the users listed in the temp table
-- rollup_touched (filled by the caller with every user whose orders, events or users row was
-- added, replaced or deleted). Their share of the pre-counted tables of migration 013 is kept in
-- rollup_*_before (rollup_refresh_counts.sql subtracts it), then their rollup rows are deleted here;
-- rollup_refresh.sql recomputes them from all of their canonical rows, so a back-dated order still
-- moves a first purchase. Parts: lifecycle (rollup_lifecycle_contributions), event_types
-- (rollup_event_type_contributions).
CREATE OR REPLACE TEMP TABLE rollup_scope AS SELECT DISTINCT user_id FROM rollup_touched;

CREATE OR REPLACE TEMP VIEW rollup_scope_orders AS
SELECT user_id, order_id, ts, quantity, unit_price FROM orders SEMI JOIN rollup_scope USING (user_id);
CREATE OR REPLACE TEMP VIEW rollup_scope_events AS
SELECT user_id, ts, event_type FROM events SEMI JOIN rollup_scope USING (user_id);
CREATE OR REPLACE TEMP VIEW rollup_scope_users AS
SELECT user_id, signup_ts FROM users SEMI JOIN rollup_scope USING (user_id);
CREATE OR REPLACE TEMP VIEW rollup_scope_order_periods AS
SELECT * FROM rollup_order_periods SEMI JOIN rollup_scope USING (user_id);
CREATE OR REPLACE TEMP VIEW rollup_scope_event_periods AS
SELECT * FROM rollup_event_periods SEMI JOIN rollup_scope USING (user_id);

CREATE OR REPLACE TEMP TABLE rollup_lifecycle_before AS
-- @part lifecycle
;
CREATE OR REPLACE TEMP TABLE rollup_event_types_before AS
-- @part event_types
;

DELETE FROM rollup_users WHERE user_id IN (SELECT user_id FROM rollup_scope);
DELETE FROM rollup_order_periods WHERE user_id IN (SELECT user_id FROM rollup_scope);
DELETE FROM rollup_event_periods WHERE user_id IN (SELECT user_id FROM rollup_scope);
