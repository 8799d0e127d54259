-- Per arm of one campaign: members, members retained (a purchase in the window), and the mean and
-- sample variance of orders and net revenue per member. An order is a purchase when one of its lines has
-- quantity > 0; revenue is quantity x unit_price over all lines, so returns subtract. Window: start_ts < ts <= least(start_ts + horizon, $through).
-- $campaign_id: INTEGER; $through: TIMESTAMP, the latest order seen
WITH c AS (
    SELECT start_ts, least(start_ts + to_days(horizon_days), $through::TIMESTAMP) AS window_end
    FROM campaigns WHERE campaign_id = $campaign_id
),
members AS (
    SELECT user_id, arm FROM campaign_members WHERE campaign_id = $campaign_id
),
window_orders AS (
    SELECT o.user_id, o.order_id, sum(o.quantity * o.unit_price) AS value, bool_or(o.quantity > 0) AS purchase
    FROM orders o, c
    WHERE o.ts > c.start_ts AND o.ts <= c.window_end AND o.user_id IN (SELECT user_id FROM members)
    GROUP BY ALL
),
per_member AS (
    SELECT m.arm, m.user_id,
           count(w.order_id) FILTER (WHERE w.purchase) AS orders,
           coalesce(sum(w.value), 0) AS revenue
    FROM members m LEFT JOIN window_orders w USING (user_id)
    GROUP BY ALL
)
SELECT
    arm,
    count(*) AS members,
    count(*) FILTER (WHERE orders > 0) AS retained,
    avg(orders) AS orders_per_member,
    coalesce(var_samp(orders), 0) AS orders_var,
    avg(revenue) AS revenue_per_member,
    coalesce(var_samp(revenue), 0) AS revenue_var,
    sum(revenue) AS revenue
FROM per_member
GROUP BY arm
ORDER BY arm = 'control' DESC, arm
