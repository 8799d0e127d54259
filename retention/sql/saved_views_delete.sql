-- Delete one saved view; returns its name when it existed.
-- $page: VARCHAR   $name: VARCHAR
DELETE FROM saved_views WHERE page = $page AND name = $name RETURNING name
