-- Small pre-counted tables the Overview, Cohorts and Forecast pages read instead of order lines and events,
-- kept by retention.rollups with the activity rollup of migration 002 (whole or for the changed users).
-- rollup_users gains each user's latest purchase and count of orders with a purchase line.
ALTER TABLE rollup_users ADD COLUMN last_purchase_ts TIMESTAMP;   -- latest order line with quantity > 0
ALTER TABLE rollup_users ADD COLUMN purchase_orders INTEGER;      -- distinct order_id with a purchase line

-- Order ids with purchase lines of two or more users (one row per order and user; usually none): the Overview's
-- order count is the users' purchase_orders summed, less the repeats these rows make.
CREATE TABLE rollup_shared_orders (
    order_id VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL
);

-- Every item_id (not NULL) with a purchase line (quantity > 0).
CREATE TABLE rollup_items (
    item_id VARCHAR NOT NULL
);

-- Events per event type.
CREATE TABLE rollup_event_types (
    event_type VARCHAR NOT NULL,
    events BIGINT NOT NULL
);

-- Growth accounting of purchases per grain and period (see retention.cohorts.lifecycle): users new, returning,
-- resurrecting in the period, and (negative) dormant: active the period before and not in this one, counted for
-- every following period, also past the latest data (readers keep periods up to it).
CREATE TABLE rollup_lifecycle (
    grain VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    new BIGINT NOT NULL,
    "returning" BIGINT NOT NULL,
    resurrecting BIGINT NOT NULL,
    dormant BIGINT NOT NULL
);

UPDATE rollup_users SET last_purchase_ts = s.last_purchase_ts, purchase_orders = s.purchase_orders
FROM (
    SELECT
        user_id,
        max(ts) FILTER (WHERE quantity > 0) AS last_purchase_ts,
        count(DISTINCT order_id) FILTER (WHERE quantity > 0)::INTEGER AS purchase_orders
    FROM orders
    GROUP BY user_id
) AS s
WHERE rollup_users.user_id = s.user_id;
UPDATE rollup_users SET purchase_orders = 0 WHERE purchase_orders IS NULL;

INSERT INTO rollup_shared_orders
SELECT order_id, user_id FROM orders WHERE quantity > 0 GROUP BY order_id, user_id
QUALIFY count(*) OVER (PARTITION BY order_id) > 1;

INSERT INTO rollup_items SELECT DISTINCT item_id FROM orders WHERE quantity > 0 AND item_id IS NOT NULL;

INSERT INTO rollup_event_types
SELECT event_type, sum(events) FROM rollup_event_periods WHERE grain = 'day' GROUP BY event_type;

INSERT INTO rollup_lifecycle
WITH
steps AS (
    SELECT
        grain,
        period_start,
        lag(period_start) OVER w AS previous_start,
        lead(period_start) OVER w AS next_start,
        CASE grain
            WHEN 'day' THEN period_start + to_days(1)
            WHEN 'week' THEN period_start + to_days(7)
            ELSE period_start + to_months(1)
        END::DATE AS following_start,
        CASE grain
            WHEN 'day' THEN period_start - to_days(1)
            WHEN 'week' THEN period_start - to_days(7)
            ELSE period_start - to_months(1)
        END::DATE AS preceding_start
    FROM rollup_order_periods
    WHERE purchase_lines > 0
    WINDOW w AS (PARTITION BY grain, user_id ORDER BY period_start)
),
counts AS (
    SELECT
        grain,
        period_start,
        count(*) FILTER (WHERE previous_start IS NULL) AS new,
        count(*) FILTER (WHERE previous_start = preceding_start) AS "returning",
        count(*) FILTER (WHERE previous_start < preceding_start) AS resurrecting,
        0 AS dormant
    FROM steps
    GROUP BY ALL
    UNION ALL
    SELECT grain, following_start, 0, 0, 0, -count(*)
    FROM steps
    WHERE next_start IS DISTINCT FROM following_start
    GROUP BY ALL
)
SELECT grain, period_start, sum(new), sum("returning"), sum(resurrecting), sum(dormant)
FROM counts
GROUP BY ALL;
