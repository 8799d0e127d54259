-- Items bought after a cutoff: one row per user and item with a purchase line (quantity > 0) in the window.
-- $after: TIMESTAMP, the window starts after it.   $until: TIMESTAMP, the window's last moment (inclusive).
SELECT DISTINCT user_id, item_id
FROM orders
WHERE item_id IS NOT NULL AND quantity > 0 AND ts > $after AND ts <= $until
