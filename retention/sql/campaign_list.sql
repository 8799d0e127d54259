-- Every campaign, newest first, with its member counts.
SELECT
    c.campaign_id, c.name, c.status, c.wave, c.parent_id, c.horizon_days, c.scores_as_of,
    c.start_ts, c.start_ts + to_days(c.horizon_days) AS window_end, c.created_at, c.launched_at,
    c.overlap_allowed, c.excluded_open, c.open_overlap,
    count(m.user_id) AS members,
    count(m.user_id) FILTER (WHERE m.arm <> 'control') AS contacted,
    count(m.user_id) FILTER (WHERE m.arm = 'control') AS holdout
FROM campaigns c
LEFT JOIN campaign_members m USING (campaign_id)
GROUP BY ALL
ORDER BY c.campaign_id DESC
