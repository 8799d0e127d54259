-- The suppression list, newest first. Columns: kind ('user_id' or 'email'), value, reason, source, added_at.
SELECT kind, value, reason, source, added_at
FROM suppression_list
ORDER BY added_at DESC, kind, value
