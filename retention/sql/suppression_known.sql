-- Which rows of the registered frame suppression_new (kind, value) are already on the suppression list.
-- Columns: kind, value.
SELECT n.kind, n.value
FROM suppression_new n
JOIN suppression_list s USING (kind, value)
