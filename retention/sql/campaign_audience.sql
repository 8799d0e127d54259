-- Scored customers matching a campaign audience's filters, riskiest first.
-- Scores: the latest scoring run, as churn.latest_scores: the newest as_of (or $scores_as_of when it is not NULL),
-- and of the runs at that date the one scored last.
-- expected_value: the customer's average net order value up to the end of as_of: revenue of every order line, returns
-- and cancellations subtracted (netted per customer, not per order_id: a cancellation is an order of its own), over
-- the purchase orders (an order with a line of quantity > 0); 0 when returns outweigh purchases or without orders.
-- $scores_as_of: DATE or NULL (the latest run); $min_risk: DOUBLE in [0, 1] or NULL; $top_n: INTEGER or NULL
-- $countries, $channels: VARCHAR[] (empty = all); $cohort: VARCHAR 'YYYY-MM' or NULL
-- $min_value, $max_value: DOUBLE (currency) or NULL; $exclude_campaigns: INTEGER[] of campaign ids
-- $allow_overlap: BOOLEAN; false leaves out the members of campaigns still being measured (part open_members:
-- campaign_open_members)
-- $rfm_segments: VARCHAR[] (empty = all): RFM segments at the newest order's day (part rfm: rfm_scores, with
-- $rfm_as_of NULL and $rfm_grid), read only when the list is not empty
-- $user_ids: VARCHAR[] (empty = all): only these customers
WITH open_members AS (
    -- @part open_members
),
rfm AS (
    SELECT user_id, segment
    FROM (
-- @part rfm
    )
    WHERE len($rfm_segments::VARCHAR[]) > 0 AND list_contains($rfm_segments::VARCHAR[], segment)
),
runs AS (
    SELECT as_of, horizon_days, model_version, max(scored_at) AS scored_at
    FROM scores
    WHERE $scores_as_of::DATE IS NULL OR as_of = $scores_as_of::DATE
    GROUP BY ALL
),
run AS (
    SELECT * FROM runs ORDER BY as_of DESC, scored_at DESC, horizon_days, model_version LIMIT 1
),
scored AS (
    SELECT s.user_id, s.risk, s.value, s.recency_days, s.reasons, s.as_of, s.model_version, s.horizon_days
    FROM scores s JOIN run USING (as_of, horizon_days, model_version)
),
order_values AS (
    SELECT o.user_id, o.order_id, min(o.ts) AS ts, sum(o.quantity * o.unit_price) AS order_value,
           bool_or(o.quantity > 0) AS purchase
    FROM orders o
    WHERE o.ts < (SELECT as_of + INTERVAL 1 DAY FROM run) AND o.user_id IN (SELECT user_id FROM scored)
    GROUP BY ALL
),
history AS (
    SELECT
        user_id,
        strftime(min(ts), '%Y-%m') AS cohort,
        count(*) FILTER (WHERE purchase) AS past_orders,
        CASE WHEN count(*) FILTER (WHERE purchase) > 0
            THEN greatest(sum(order_value) / count(*) FILTER (WHERE purchase), 0)
            ELSE 0
        END AS expected_value
    FROM order_values
    GROUP BY user_id
)
SELECT
    s.user_id,
    s.risk,
    s.value,
    s.recency_days,
    s.reasons,
    u.country,
    u.channel,
    h.cohort,
    coalesce(h.past_orders, 0) AS past_orders,
    coalesce(h.expected_value, 0) AS expected_value,
    s.as_of AS scores_as_of,
    s.model_version,
    s.horizon_days AS score_horizon_days
FROM scored s
LEFT JOIN users u USING (user_id)
LEFT JOIN history h USING (user_id)
WHERE ($min_risk::DOUBLE IS NULL OR s.risk >= $min_risk)
  AND (len($countries::VARCHAR[]) = 0 OR list_contains($countries::VARCHAR[], u.country))
  AND (len($channels::VARCHAR[]) = 0 OR list_contains($channels::VARCHAR[], u.channel))
  AND ($cohort::VARCHAR IS NULL OR h.cohort = $cohort)
  AND ($min_value::DOUBLE IS NULL OR s.value >= $min_value)
  AND ($max_value::DOUBLE IS NULL OR s.value <= $max_value)
  AND NOT EXISTS (
      SELECT 1 FROM campaign_members m
      WHERE m.user_id = s.user_id AND list_contains($exclude_campaigns::INTEGER[], m.campaign_id)
  )
  AND ($allow_overlap::BOOLEAN OR s.user_id NOT IN (SELECT user_id FROM open_members))
  AND (len($rfm_segments::VARCHAR[]) = 0 OR s.user_id IN (SELECT user_id FROM rfm))
  AND (len($user_ids::VARCHAR[]) = 0 OR list_contains($user_ids::VARCHAR[], s.user_id))
QUALIFY row_number() OVER (ORDER BY s.risk DESC, s.user_id) <= coalesce($top_n::BIGINT, 9223372036854775807)
ORDER BY s.risk DESC, s.user_id
