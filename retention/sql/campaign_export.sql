-- Contactable members of one arm (never the control), riskiest first; contact fields only when $include_contact.
-- Customers on the suppression list (part suppressed: suppressed_users) are never in it, whenever they were listed.
-- Each row names the churn scoring the audience was drawn from: scores_as_of, score_horizon_days (NULL when
-- those scores were deleted since) and scores_model_version; offer_code, recommended_items and recommendation_mode
-- as stored at launch (the items are NULL for campaigns launched before they were stored).
-- Channels: an email arm's contact is the email, an SMS arm's the phone, an on-site arm has none (first_name goes
-- with email and SMS). An SMS arm keeps only members with a phone and, once any customer has an sms_consent value,
-- only those whose consent is true (NULL consent: no SMS).
-- $campaign_id: INTEGER; $arm: VARCHAR (a treated arm); $channel: VARCHAR ('email', 'sms' or 'onsite');
-- $include_contact: BOOLEAN
WITH suppressed AS (
    -- @part suppressed
),
consent AS (
    SELECT count(sms_consent) > 0 AS tracked FROM users
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
    CASE WHEN $include_contact AND $channel IN ('email', 'sms') THEN u.first_name END AS first_name,
    CASE WHEN $include_contact AND $channel = 'email' THEN u.email END AS email,
    CASE WHEN $include_contact AND $channel = 'sms' THEN u.phone END AS phone
FROM campaign_members m
JOIN campaigns c USING (campaign_id)
LEFT JOIN users u USING (user_id)
WHERE m.campaign_id = $campaign_id AND m.arm = $arm AND m.arm <> 'control'
  AND m.user_id NOT IN (SELECT user_id FROM suppressed)
  AND (
      $channel <> 'sms'
      OR (nullif(trim(u.phone), '') IS NOT NULL AND (u.sms_consent OR NOT (SELECT tracked FROM consent)))
  )
ORDER BY m.risk DESC, m.user_id
