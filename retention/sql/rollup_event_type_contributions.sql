-- Events per event type of the users in scope (the temp view rollup_scope_event_periods), from their day rows:
-- a part of rollup_scope_*.sql and rollup_refresh_counts.sql.
SELECT event_type, sum(events) AS events FROM rollup_scope_event_periods WHERE grain = 'day' GROUP BY event_type
