-- Entries of the suppression list per kind, both kinds always listed. Columns: kind, entries (BIGINT).
SELECT k.kind, count(s.value) AS entries
FROM (VALUES ('user_id'), ('email')) AS k(kind)
LEFT JOIN suppression_list s USING (kind)
GROUP BY k.kind
ORDER BY k.kind DESC
