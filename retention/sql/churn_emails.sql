-- E-mail addresses of the given customers (only for an export the user asked to include them in).
SELECT u.user_id, u.email
FROM users AS u
WHERE u.user_id IN (SELECT unnest($user_ids::VARCHAR[]))
