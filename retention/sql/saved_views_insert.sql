-- Save a page's settings under a name; returns the name, or no row when the page already has a view of that name.
-- $page: VARCHAR   $name: VARCHAR   $params: VARCHAR (a JSON object)
INSERT INTO saved_views (page, name, params, created_at)
VALUES ($page, $name, $params, now()::TIMESTAMP)
ON CONFLICT DO NOTHING
RETURNING name
