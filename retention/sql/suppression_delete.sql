-- Remove a value from the suppression list: the id $value, or the email lower(trim($value)) (VARCHAR).
-- Returns the removed rows: kind, value.
DELETE FROM suppression_list
WHERE (kind = 'user_id' AND value = trim($value)) OR (kind = 'email' AND value = lower(trim($value)))
RETURNING kind, value
