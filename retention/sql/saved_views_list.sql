-- The saved views of one page, by name: page, name, params (JSON text), created_at.
-- $page: VARCHAR
SELECT page, name, params, created_at FROM saved_views WHERE page = $page ORDER BY lower(name), name
