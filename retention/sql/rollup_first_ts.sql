-- The earliest purchase or event timestamp in the rollup (TIMESTAMP; NULL when there is none): where the data of
-- an activity starts, for the partial first period (retention.periods.complete).
-- $events: BOOLEAN, true for the first event of any type, false for the first purchase.
SELECT CASE WHEN $events THEN min(first_event_ts) ELSE min(first_purchase_ts) END AS first_ts FROM rollup_users
