-- Scores stored for one as_of date.
-- $as_of: DATE
SELECT count(*) AS scores FROM scores WHERE as_of = $as_of
