-- Churn features and labels: one row per snapshot date and customer.
-- One output column per feature declared in retention/churn/features.py (a test checks they are the same set).
-- Parameters: $snapshots (DATE[]), $horizon_days (INTEGER), $view_events and $cart_events (VARCHAR[]),
-- $sample_below (VARCHAR of 12 hex digits, NULL for every customer) and $seed (BIGINT): the rows of a seeded
-- sample of customers, the same at every snapshot (a customer's snapshots all in or all out): those whose
-- md5(user_id || ':' || $seed) starts below $sample_below. md5, not DuckDB's hash: Spark computes it alike.
-- A snapshot date d covers the data up to the end of day d: features read rows with ts < d + 1 day only;
-- the label reads the $horizon_days days after it. A purchase is an order line with quantity > 0,
-- a return one with quantity < 0; only customers with a purchase before the cutoff get a row.
-- Returns and cancellations are netted per customer over the window, not per order_id (a cancellation is an
-- order of its own, e.g. Online Retail's 'C' invoices): money features read net revenue, so a bulk order
-- cancelled the same day adds nothing. Product features (categories, products, returned units) leave out the
-- item codes of non_products whose status is 'confirmed' or 'suggested' (postage, fees); their revenue counts.
-- churned is NULL when the label window reaches past the latest order date (not yet observable).
-- Money is rounded to cents so that parallel summation order cannot change a feature (and the model).
WITH snapshots AS (
    SELECT DISTINCT d AS snapshot_date, d + INTERVAL 1 DAY AS cutoff
    FROM (SELECT unnest($snapshots::DATE[]) AS d)
),
data_end AS (
    SELECT max(ts)::DATE AS last_day FROM orders
),
non_product AS (
    SELECT item_id FROM non_products WHERE status IN ('confirmed', 'suggested')
),
lines AS (
    SELECT
        s.snapshot_date, s.cutoff, o.user_id, o.order_id, o.item_id, o.ts, o.quantity, o.unit_price, o.discount,
        o.item_id IN (SELECT item_id FROM non_product) AS non_product
    FROM orders AS o
    JOIN snapshots AS s ON o.ts < s.cutoff
    -- The sample (everyone when $sample_below is NULL).
    WHERE CAST($sample_below AS VARCHAR) IS NULL
        OR left(md5(o.user_id || ':' || CAST(CAST($seed AS BIGINT) AS VARCHAR)), 12) < CAST($sample_below AS VARCHAR)
),
purchase_orders AS (
    SELECT
        snapshot_date,
        cutoff,
        user_id,
        order_id,
        min(ts) AS ts,
        round(sum(quantity * unit_price), 2) AS amount,
        bool_or(discount > 0) AS discounted
    FROM lines
    WHERE quantity > 0
    GROUP BY ALL
),
order_gaps AS (
    SELECT
        *,
        date_diff('second', lag(ts) OVER (PARTITION BY snapshot_date, user_id ORDER BY ts, order_id), ts) / 86400.0 AS gap_days,
        -- The last order in the same (ts, order_id) order: orders at one timestamp would tie in arg_max(gap, ts),
        -- which either engine may break either way.
        row_number() OVER (PARTITION BY snapshot_date, user_id ORDER BY ts DESC, order_id DESC) AS from_last
    FROM purchase_orders
),
order_stats AS (
    SELECT
        snapshot_date,
        user_id,
        cutoff,
        count(*) AS frequency,
        min(ts) AS first_ts,
        max(ts) AS last_ts,
        avg(discounted::INTEGER) AS discount_share,
        max(gap_days) FILTER (WHERE from_last = 1) AS last_gap_days,
        count(*) FILTER (WHERE ts >= cutoff - INTERVAL 30 DAY) AS orders_30d,
        count(*) FILTER (WHERE ts >= cutoff - INTERVAL 90 DAY) AS orders_90d,
        count(*) FILTER (WHERE ts >= cutoff - INTERVAL 180 DAY AND ts < cutoff - INTERVAL 90 DAY)
            AS orders_prior_90d
    FROM order_gaps
    GROUP BY snapshot_date, cutoff, user_id
),
item_stats AS (
    -- One row per customer and item: units bought and returned, and net revenue.
    SELECT
        snapshot_date,
        user_id,
        item_id,
        any_value(non_product) AS non_product,
        coalesce(sum(quantity) FILTER (WHERE quantity > 0), 0) AS bought_units,
        coalesce(-sum(quantity) FILTER (WHERE quantity < 0), 0) AS returned_units,
        sum(quantity * unit_price) AS revenue,
        coalesce(sum(quantity * unit_price) FILTER (WHERE ts >= cutoff - INTERVAL 365 DAY), 0) AS revenue_365d
    FROM lines
    GROUP BY ALL
),
line_stats AS (
    SELECT
        i.snapshot_date,
        i.user_id,
        round(sum(i.revenue), 2) AS monetary,
        round(sum(i.revenue_365d), 2) AS revenue_365d,
        sum(least(i.returned_units, i.bought_units)) FILTER (WHERE NOT i.non_product) AS returned_units,
        sum(i.bought_units) FILTER (WHERE NOT i.non_product) AS bought_units,
        count(*) FILTER (WHERE NOT i.non_product AND i.bought_units > i.returned_units) AS products,
        count(DISTINCT p.category) FILTER (WHERE NOT i.non_product AND i.bought_units > i.returned_units)
            AS categories
    FROM item_stats AS i
    LEFT JOIN products AS p USING (item_id)
    GROUP BY i.snapshot_date, i.user_id
),
rating_stats AS (
    -- Ratings without a timestamp cannot be placed before a snapshot, so they are left out.
    SELECT s.snapshot_date, r.user_id, avg(r.rating) AS rating_mean, min(r.rating) AS rating_min, count(*) AS ratings
    FROM ratings AS r
    JOIN snapshots AS s ON r.ts < s.cutoff
    WHERE CAST($sample_below AS VARCHAR) IS NULL
        OR left(md5(r.user_id || ':' || CAST(CAST($seed AS BIGINT) AS VARCHAR)), 12) < CAST($sample_below AS VARCHAR)
    GROUP BY ALL
),
browsing AS (
    SELECT
        os.snapshot_date,
        os.user_id,
        count(*) FILTER (WHERE e.event_type IN (SELECT unnest($view_events::VARCHAR[]))) AS views_since_order,
        count(*) FILTER (WHERE e.event_type IN (SELECT unnest($cart_events::VARCHAR[]))) AS carts_since_order
    FROM order_stats AS os
    JOIN events AS e ON e.user_id = os.user_id AND e.ts > os.last_ts AND e.ts < os.cutoff
    GROUP BY ALL
),
future AS (
    SELECT DISTINCT s.snapshot_date, o.user_id
    FROM orders AS o
    JOIN snapshots AS s ON o.ts >= s.cutoff AND o.ts < s.cutoff + to_days(CAST($horizon_days AS INTEGER))
    WHERE o.quantity > 0
)
SELECT
    os.snapshot_date::DATE AS snapshot_date,
    os.user_id,
    date_diff('day', os.last_ts::DATE, os.snapshot_date::DATE)::DOUBLE AS recency_days,
    os.frequency::DOUBLE AS frequency,
    ls.monetary,
    ls.revenue_365d,
    date_diff('day', os.first_ts::DATE, os.snapshot_date::DATE)::DOUBLE AS tenure_days,
    round(greatest(ls.monetary, 0) / os.frequency, 4) AS avg_order_value,
    CASE WHEN os.frequency > 1 THEN date_diff('second', os.first_ts, os.last_ts) / 86400.0 / (os.frequency - 1) END
        AS mean_gap_days,
    os.last_gap_days,
    os.orders_30d::DOUBLE AS orders_30d,
    os.orders_90d::DOUBLE AS orders_90d,
    os.orders_prior_90d::DOUBLE AS orders_prior_90d,
    CASE WHEN ls.bought_units > 0 THEN least(ls.returned_units / ls.bought_units, 1.0) ELSE 0.0 END::DOUBLE
        AS returns_share,
    rs.rating_mean,
    rs.rating_min,
    os.discount_share,
    ls.categories::DOUBLE AS categories,
    ls.products::DOUBLE AS products,
    coalesce(b.views_since_order, 0)::DOUBLE AS views_since_order,
    coalesce(b.carts_since_order, 0)::DOUBLE AS carts_since_order,
    coalesce(u.channel, 'unknown') AS channel,
    coalesce(u.country, 'unknown') AS country,
    CASE
        WHEN os.snapshot_date + to_days(CAST($horizon_days AS INTEGER)) <= (SELECT last_day FROM data_end)
            THEN f.user_id IS NULL
    END AS churned
FROM order_stats AS os
JOIN line_stats AS ls USING (snapshot_date, user_id)
LEFT JOIN rating_stats AS rs USING (snapshot_date, user_id)
LEFT JOIN browsing AS b USING (snapshot_date, user_id)
LEFT JOIN users AS u USING (user_id)
LEFT JOIN future AS f USING (snapshot_date, user_id)
ORDER BY os.snapshot_date, os.user_id
