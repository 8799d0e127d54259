-- The ids among $user_ids (VARCHAR[]) that the warehouse knows: a users row, an order, an event or a rating has them.
SELECT DISTINCT asked.user_id
FROM unnest($user_ids::VARCHAR[]) AS asked(user_id)
WHERE EXISTS (SELECT 1 FROM users WHERE users.user_id = asked.user_id)
    OR EXISTS (SELECT 1 FROM orders WHERE orders.user_id = asked.user_id)
    OR EXISTS (SELECT 1 FROM events WHERE events.user_id = asked.user_id)
    OR EXISTS (SELECT 1 FROM ratings WHERE ratings.user_id = asked.user_id)
