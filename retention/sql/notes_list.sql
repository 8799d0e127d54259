-- The user's notes, newest date first: note_id, day, text, created_at.
-- No parameters.
SELECT note_id, day, text, created_at FROM notes ORDER BY day DESC, note_id DESC
