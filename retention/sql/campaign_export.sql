-- Contactable members of one arm (never the control), riskiest first; email only when $include_email.
-- $campaign_id: INTEGER; $arm: VARCHAR (a treated arm); $include_email: BOOLEAN
SELECT m.user_id, m.arm, m.risk, m.reasons, CASE WHEN $include_email THEN u.email END AS email
FROM campaign_members m
LEFT JOIN users u USING (user_id)
WHERE m.campaign_id = $campaign_id AND m.arm = $arm AND m.arm <> 'control'
ORDER BY m.risk DESC, m.user_id
