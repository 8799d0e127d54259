-- A launched (or measured, or closed) campaign as stored at launch, with its member counts: what the Launch tab
-- describes beside the campaign's files.
-- $campaign_id: INTEGER
SELECT
    c.campaign_id, c.name, c.status, c.launched_at, c.start_ts, c.horizon_days, c.exclusions,
    count(m.user_id) AS members,
    count(m.user_id) FILTER (WHERE m.arm = 'control') AS holdout
FROM campaigns c
LEFT JOIN campaign_members m USING (campaign_id)
WHERE c.campaign_id = $campaign_id
GROUP BY ALL
