-- The saved views of one page (every page when $page is NULL), by page and name: page, name, params (JSON text),
-- created_at.
-- $page: VARCHAR or NULL
SELECT page, name, params, created_at
FROM saved_views
WHERE $page IS NULL OR page = $page
ORDER BY page, lower(name), name
