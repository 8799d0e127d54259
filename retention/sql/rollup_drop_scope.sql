-- Drop the temp tables and views of one rollup refresh (they belong to the refreshing connection).
DROP VIEW IF EXISTS temp.rollup_scope_orders;
DROP VIEW IF EXISTS temp.rollup_scope_events;
DROP VIEW IF EXISTS temp.rollup_scope_users;
DROP VIEW IF EXISTS temp.rollup_scope_order_periods;
DROP VIEW IF EXISTS temp.rollup_scope_event_periods;
DROP TABLE IF EXISTS temp.rollup_scope;
DROP TABLE IF EXISTS temp.rollup_order_days;
DROP TABLE IF EXISTS temp.rollup_event_days;
DROP TABLE IF EXISTS temp.rollup_touched;
DROP TABLE IF EXISTS temp.rollup_lifecycle_before;
DROP TABLE IF EXISTS temp.rollup_event_types_before;
DROP TABLE IF EXISTS temp.rollup_lifecycle_now;
DROP TABLE IF EXISTS temp.rollup_event_types_now;
DROP TABLE IF EXISTS temp.rollup_scope_order_ids;
DROP TABLE IF EXISTS temp.rollup_purchase_orders;
