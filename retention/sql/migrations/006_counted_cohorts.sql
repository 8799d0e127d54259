-- Pre-counted cohorts for the default Cohorts view (return activity = purchase, n-day, no breakdown),
-- per grain and cohort definition ('first_purchase', 'first_event', 'signup'), counted from the
-- activity rollup of migration 002 and recounted by retention/sql/rollup_refresh_cohorts.sql on
-- every refresh. Files migrated with an early copy of 002 already have these tables (hence
-- IF NOT EXISTS); both kinds are counted here, so every warehouse at this version has them filled.
CREATE TABLE IF NOT EXISTS rollup_cohort_sizes (
    grain VARCHAR NOT NULL,
    cohort_by VARCHAR NOT NULL,
    cohort DATE NOT NULL,            -- first day of the cohort's period
    users BIGINT NOT NULL            -- users whose start falls in it
);

CREATE TABLE IF NOT EXISTS rollup_cohort_cells (
    grain VARCHAR NOT NULL,
    cohort_by VARCHAR NOT NULL,
    cohort DATE NOT NULL,
    period_start DATE NOT NULL,      -- a period at or after the cohort's own
    active_users BIGINT NOT NULL,    -- cohort users with a purchase in the period
    revenue DOUBLE NOT NULL          -- their net revenue in the period, returns included
);

-- A file whose orders or events came in before the rollup existed (schema version 1) has an empty
-- rollup (no rollup_state row); the code of that release built it when the Cohorts page first read
-- it. Build it here instead, as retention.rollups.refresh does; a file without orders or events is
-- left unbuilt, and its first import builds it.
CREATE TEMP TABLE migration_006_unbuilt AS
SELECT NOT EXISTS (SELECT 1 FROM rollup_state)
    AND (EXISTS (SELECT 1 FROM orders) OR EXISTS (SELECT 1 FROM events)) AS unbuilt;

DELETE FROM rollup_users WHERE (SELECT unbuilt FROM migration_006_unbuilt);
DELETE FROM rollup_order_periods WHERE (SELECT unbuilt FROM migration_006_unbuilt);
DELETE FROM rollup_event_periods WHERE (SELECT unbuilt FROM migration_006_unbuilt);

INSERT INTO rollup_users
WITH
purchase_starts AS (
    SELECT user_id, min(ts) FILTER (WHERE quantity > 0) AS first_purchase_ts FROM orders GROUP BY user_id
),
event_starts AS (
    SELECT user_id, min(ts) AS first_event_ts FROM events GROUP BY user_id
),
ids AS (
    SELECT user_id FROM purchase_starts UNION SELECT user_id FROM event_starts UNION SELECT user_id FROM users
)
SELECT ids.user_id, p.first_purchase_ts, e.first_event_ts, u.signup_ts
FROM ids
LEFT JOIN purchase_starts AS p USING (user_id)
LEFT JOIN event_starts AS e USING (user_id)
LEFT JOIN users AS u USING (user_id)
WHERE (SELECT unbuilt FROM migration_006_unbuilt);

INSERT INTO rollup_order_periods
SELECT
    g.grain,
    date_trunc(g.grain, o.ts)::DATE,
    o.user_id,
    date_trunc(g.grain, any_value(r.first_purchase_ts))::DATE,
    date_trunc(g.grain, any_value(r.first_event_ts))::DATE,
    date_trunc(g.grain, any_value(r.signup_ts))::DATE,
    (count(*) FILTER (WHERE o.quantity > 0))::INTEGER,
    sum(o.quantity * o.unit_price)
FROM orders AS o
JOIN rollup_users AS r USING (user_id)
CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g(grain)
WHERE (SELECT unbuilt FROM migration_006_unbuilt)
GROUP BY g.grain, date_trunc(g.grain, o.ts), o.user_id;

INSERT INTO rollup_event_periods
SELECT
    g.grain,
    date_trunc(g.grain, e.ts)::DATE,
    e.user_id,
    e.event_type,
    date_trunc(g.grain, any_value(r.first_purchase_ts))::DATE,
    date_trunc(g.grain, any_value(r.first_event_ts))::DATE,
    date_trunc(g.grain, any_value(r.signup_ts))::DATE,
    count(*)::INTEGER
FROM events AS e
JOIN rollup_users AS r USING (user_id)
CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g(grain)
WHERE (SELECT unbuilt FROM migration_006_unbuilt)
GROUP BY g.grain, date_trunc(g.grain, e.ts), e.user_id, e.event_type;

INSERT INTO rollup_state
SELECT greatest((SELECT max(ts) FROM orders), (SELECT max(ts) FROM events)), now()::TIMESTAMP
WHERE (SELECT unbuilt FROM migration_006_unbuilt);

DROP TABLE migration_006_unbuilt;

-- Count the cohorts, as rollup_refresh_cohorts.sql does (a file that had the tables gets the same rows again).
DELETE FROM rollup_cohort_sizes;
DELETE FROM rollup_cohort_cells;

INSERT INTO rollup_cohort_sizes
WITH starts AS (
    SELECT 'first_purchase' AS cohort_by, first_purchase_ts AS start_ts FROM rollup_users
    UNION ALL
    SELECT 'first_event', first_event_ts FROM rollup_users
    UNION ALL
    SELECT 'signup', signup_ts FROM rollup_users
)
SELECT g.grain, s.cohort_by, date_trunc(g.grain, s.start_ts)::DATE AS cohort, count(*)
FROM starts AS s CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g(grain)
WHERE s.start_ts IS NOT NULL
GROUP BY ALL
ORDER BY ALL;

INSERT INTO rollup_cohort_cells
WITH located AS (
    SELECT grain, 'first_purchase' AS cohort_by, first_purchase AS cohort, period_start, purchase_lines, revenue
    FROM rollup_order_periods WHERE period_start >= first_purchase
    UNION ALL
    SELECT grain, 'first_event', first_event, period_start, purchase_lines, revenue
    FROM rollup_order_periods WHERE period_start >= first_event
    UNION ALL
    SELECT grain, 'signup', signup, period_start, purchase_lines, revenue
    FROM rollup_order_periods WHERE period_start >= signup
)
SELECT grain, cohort_by, cohort, period_start, count(*) FILTER (WHERE purchase_lines > 0), sum(revenue)
FROM located
GROUP BY ALL
ORDER BY ALL;
