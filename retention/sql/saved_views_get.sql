-- One saved view's settings (JSON text); no row when there is none of that name on the page.
-- $page: VARCHAR   $name: VARCHAR
SELECT params FROM saved_views WHERE page = $page AND name = $name
