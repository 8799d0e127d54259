-- Where an activity's data starts and where the data ends, in one read: the earliest purchase or event timestamp
-- in the rollup (for the partial first period, retention.periods.complete) and the latest order or event timestamp
-- when the rollup was built (TIMESTAMPs; NULL for an empty warehouse).
-- $events: BOOLEAN, true for the first event of any type, false for the first purchase.
SELECT
    (SELECT CASE WHEN $events THEN min(first_event_ts) ELSE min(first_purchase_ts) END FROM rollup_users) AS first_ts,
    (SELECT max(as_of) FROM rollup_state) AS as_of
