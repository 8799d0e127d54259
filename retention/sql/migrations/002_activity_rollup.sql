-- The user-period activity rollup: what the Cohorts page reads instead of order lines and events.
-- Rebuilt by retention.rollups.refresh() inside every import's transaction.
-- Periods: 'day', 'week' (starting Monday) or 'month'; period_start is the first day of the period.

-- One row per user that appears in orders, events or users: the moments that start a cohort.
CREATE TABLE rollup_users (
    user_id VARCHAR NOT NULL,
    first_purchase_ts TIMESTAMP,     -- first order line with quantity > 0 (NULL: never purchased)
    first_event_ts TIMESTAMP,        -- first event of any type (NULL: no events)
    signup_ts TIMESTAMP              -- users.signup_ts (NULL: unknown)
);

-- One row per grain, user and period with any order line.
-- The user's cohort periods at the same grain are copied onto every row so the default
-- cohort table needs no join.
CREATE TABLE rollup_order_periods (
    grain VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    user_id VARCHAR NOT NULL,
    first_purchase DATE,             -- period of the user's first purchase
    first_event DATE,                -- period of the user's first event
    signup DATE,                     -- period of the user's signup
    purchase_lines INTEGER NOT NULL, -- order lines with quantity > 0 (0: only returns in the period)
    revenue DOUBLE NOT NULL          -- net revenue: sum of quantity * unit_price, returns subtract
);

-- One row per grain, user, period and event type with any event.
CREATE TABLE rollup_event_periods (
    grain VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    user_id VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    first_purchase DATE,
    first_event DATE,
    signup DATE,
    events INTEGER NOT NULL
);

-- One row: the latest timestamp in orders and events when the rollup was built.
CREATE TABLE rollup_state (
    as_of TIMESTAMP,
    refreshed_at TIMESTAMP NOT NULL
);
