-- The parse tree of one statement as JSON (DuckDB's own parser); {"error": true, ...} for a statement that is not
-- a query. Nothing is run.
-- $sql: VARCHAR, the statement's text.
SELECT json_serialize_sql($sql)
