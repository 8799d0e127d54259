-- Delete one note; returns its id when it existed.
-- $note_id: INTEGER
DELETE FROM notes WHERE note_id = $note_id RETURNING note_id
