-- Scores stored for one as_of date.
SELECT count(*) AS scores FROM scores WHERE as_of = $as_of
