-- Add a note on the time axes; returns its id.
-- $day: DATE   $text: VARCHAR
INSERT INTO notes (note_id, day, text, created_at)
VALUES (nextval('note_seq'), $day, $text, now()::TIMESTAMP)
RETURNING note_id
