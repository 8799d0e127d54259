-- Event types in the warehouse, most frequent first (pre-counted: rollup_event_types, migration 013).
SELECT event_type, events FROM rollup_event_types ORDER BY events DESC, event_type
