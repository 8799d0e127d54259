-- Contactable members of one arm (never the control), riskiest first; email only when $include_email.
-- Customers on the suppression list (part suppressed: suppressed_users) are never in it, whenever they were listed.
-- Each row names the churn scoring the audience was drawn from: scores_as_of, score_horizon_days (NULL when
-- those scores were deleted since) and scores_model_version; offer_code, recommended_items and recommendation_mode
-- as stored at launch (the items are NULL for campaigns launched before they were stored).
-- $campaign_id: INTEGER; $arm: VARCHAR (a treated arm); $include_email: BOOLEAN
WITH suppressed AS (
    -- @part suppressed
)
SELECT
    m.user_id, m.arm, m.risk, m.reasons,
    m.offer_code, m.recommended_items, m.recommendation_mode,
    c.scores_as_of,
    (
        SELECT any_value(s.horizon_days) FROM scores s
        WHERE s.as_of = c.scores_as_of AND s.model_version = c.scores_model_version
    ) AS score_horizon_days,
    c.scores_model_version,
    CASE WHEN $include_email THEN u.email END AS email
FROM campaign_members m
JOIN campaigns c USING (campaign_id)
LEFT JOIN users u USING (user_id)
WHERE m.campaign_id = $campaign_id AND m.arm = $arm AND m.arm <> 'control'
  AND m.user_id NOT IN (SELECT user_id FROM suppressed)
ORDER BY m.risk DESC, m.user_id
