-- The members of every launched or measured campaign (closed and draft ones left out), control included, with their
-- arm's channel and the items stored for them at launch (an empty list for arms without items).
SELECT
    m.campaign_id,
    m.user_id,
    m.arm,
    a.channel,
    coalesce(m.recommended_items, []::VARCHAR[]) AS recommended_items
FROM campaign_members AS m
JOIN campaigns AS c USING (campaign_id)
LEFT JOIN campaign_arms AS a ON a.campaign_id = m.campaign_id AND a.arm = m.arm
WHERE c.status IN ('launched', 'measured')
ORDER BY m.campaign_id, m.user_id
