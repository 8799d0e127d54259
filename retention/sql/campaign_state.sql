-- A token that changes when scores or campaigns change (cached pages key on it).
SELECT
    (SELECT count(*) FROM scores) AS scores,
    (SELECT max(scored_at) FROM scores) AS last_scored,
    (SELECT count(*) FROM campaigns) AS campaigns,
    (SELECT string_agg(campaign_id || status, ',' ORDER BY campaign_id) FROM campaigns) AS statuses
