-- The user ids on the suppression list: listed by id, or whose email (trimmed, lower-case) is listed.
-- Spliced as a part (parts={"suppressed": "suppressed_users"}); no parameters.
SELECT value AS user_id FROM suppression_list WHERE kind = 'user_id'
UNION
SELECT u.user_id
FROM users u
JOIN suppression_list s ON s.kind = 'email' AND s.value = lower(trim(u.email))
