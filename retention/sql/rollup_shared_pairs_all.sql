-- The order and user pairs of purchases of a whole rebuild (a part of rollup_refresh_counts.sql): every user's
-- orders with a purchase line, as rollup_refresh.sql listed them.
SELECT order_id, user_id FROM rollup_purchase_orders
