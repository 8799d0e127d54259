-- The order and user pairs of purchases with the order ids of the users an import changed (a part of
-- rollup_refresh_counts.sql): read from the order lines, since users outside the refresh may share them.
SELECT DISTINCT order_id, user_id FROM orders SEMI JOIN rollup_scope_order_ids USING (order_id) WHERE quantity > 0
