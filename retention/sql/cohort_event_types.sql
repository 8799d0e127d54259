-- Event types in the warehouse, most frequent first.
SELECT event_type, count(*) AS events FROM events GROUP BY event_type ORDER BY events DESC, event_type
