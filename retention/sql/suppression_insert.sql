-- Add entries to the suppression list from the registered frame suppression_new (kind, value, reason): values
-- already listed keep their first entry. $source: VARCHAR (the file's name, or 'cli' / 'app').
INSERT INTO suppression_list (kind, value, reason, source, added_at)
SELECT kind, value, reason, $source, now()::TIMESTAMP
FROM suppression_new
ON CONFLICT DO NOTHING
