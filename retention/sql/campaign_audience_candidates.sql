-- Scored customers matching a campaign audience's filters, each with what would exclude it (not yet applied).
-- Scores: the latest scoring run, as churn.latest_scores: the newest as_of (or $scores_as_of when it is not NULL),
-- and of the runs at that date the one scored last.
-- expected_value: the customer's average net order value up to the end of as_of: revenue of every order line, returns
-- and cancellations subtracted (netted per customer, not per order_id: a cancellation is an order of its own), over
-- the purchase orders (an order with a line of quantity > 0); 0 when returns outweigh purchases or without orders.
-- expected_loss: risk * expected_value (currency): what the customer's next order is worth, weighed by the risk of
-- never seeing it.
-- Filters ($... NULL or empty: not applied):
-- $scores_as_of: DATE or NULL (the latest run); $min_risk: DOUBLE in [0, 1] or NULL
-- $countries, $channels: VARCHAR[] (empty = all); $cohort: VARCHAR 'YYYY-MM' or NULL
-- $min_value, $max_value: DOUBLE (currency) or NULL
-- $rfm_segments: VARCHAR[] (empty = all): RFM segments at the newest order's day (part rfm: rfm_scores, with
-- $rfm_as_of NULL and $rfm_grid), read only when the list is not empty
-- $user_ids: VARCHAR[] (empty = all): only these customers
-- Exclusion flags (BOOLEAN, false when the exclusion is off), in the order audience.EXCLUSIONS applies them:
-- excluded_suppressed: on the suppression list (part suppressed: suppressed_users), always applied
-- excluded_open_campaign: a member of a campaign still being measured (part open_members: campaign_open_members),
--   unless $allow_overlap (BOOLEAN)
-- excluded_campaigns: a member of one of $exclude_campaigns (INTEGER[] of campaign ids)
-- excluded_contacted: in a treated arm of a campaign whose window started (start_ts: the newest order at its launch)
--   at most $contacted_within_days (INTEGER or NULL) days before the newest order's day
-- excluded_bought: last purchase order at most $bought_within_days (INTEGER or NULL) days before the scores' as_of
-- excluded_nonpositive_revenue: net revenue of every order up to the end of as_of, to the cent, is <= 0 (or no order;
--   to the cent, so that a sum of purchases and returns that cancel out is 0 in any summation order), when
--   $exclude_nonpositive_revenue (BOOLEAN)
-- excluded_lapsed: last purchase order more than $lapsed_days (INTEGER or NULL) days before the scores' as_of, or no
--   purchase at all
WITH open_members AS (
    -- @part open_members
),
suppressed AS (
    -- @part suppressed
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
        END AS expected_value,
        sum(order_value) AS net_revenue,
        max(ts) FILTER (WHERE purchase)::DATE AS last_purchase
    FROM order_values
    GROUP BY user_id
),
contacted AS (
    SELECT DISTINCT m.user_id
    FROM campaign_members m
    JOIN campaigns c USING (campaign_id)
    WHERE $contacted_within_days::INTEGER IS NOT NULL
      AND m.arm <> 'control'
      AND c.start_ts IS NOT NULL
      AND c.start_ts::DATE >= (SELECT max(ts)::DATE FROM orders) - $contacted_within_days::INTEGER
),
matched AS (
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
        s.risk * coalesce(h.expected_value, 0) AS expected_loss,
        s.as_of AS scores_as_of,
        s.model_version,
        s.horizon_days AS score_horizon_days,
        coalesce(h.net_revenue, 0) AS net_revenue,
        date_diff('day', h.last_purchase, s.as_of) AS days_since_purchase
    FROM scored s
    LEFT JOIN users u USING (user_id)
    LEFT JOIN history h USING (user_id)
    WHERE ($min_risk::DOUBLE IS NULL OR s.risk >= $min_risk)
      AND (len($countries::VARCHAR[]) = 0 OR list_contains($countries::VARCHAR[], u.country))
      AND (len($channels::VARCHAR[]) = 0 OR list_contains($channels::VARCHAR[], u.channel))
      AND ($cohort::VARCHAR IS NULL OR h.cohort = $cohort)
      AND ($min_value::DOUBLE IS NULL OR s.value >= $min_value)
      AND ($max_value::DOUBLE IS NULL OR s.value <= $max_value)
      AND (len($rfm_segments::VARCHAR[]) = 0 OR s.user_id IN (SELECT user_id FROM rfm))
      AND (len($user_ids::VARCHAR[]) = 0 OR list_contains($user_ids::VARCHAR[], s.user_id))
)
SELECT
    m.* EXCLUDE (net_revenue, days_since_purchase),
    m.user_id IN (SELECT user_id FROM suppressed) AS excluded_suppressed,
    NOT $allow_overlap::BOOLEAN AND m.user_id IN (SELECT user_id FROM open_members) AS excluded_open_campaign,
    EXISTS (
        SELECT 1 FROM campaign_members cm
        WHERE cm.user_id = m.user_id AND list_contains($exclude_campaigns::INTEGER[], cm.campaign_id)
    ) AS excluded_campaigns,
    m.user_id IN (SELECT user_id FROM contacted) AS excluded_contacted,
    coalesce($bought_within_days::INTEGER IS NOT NULL AND m.days_since_purchase <= $bought_within_days::INTEGER, false)
        AS excluded_bought,
    $exclude_nonpositive_revenue::BOOLEAN AND round(m.net_revenue, 2) <= 0 AS excluded_nonpositive_revenue,
    $lapsed_days::INTEGER IS NOT NULL AND coalesce(m.days_since_purchase > $lapsed_days::INTEGER, true)
        AS excluded_lapsed
FROM matched m
