-- Contactable members of one arm (never the control), riskiest first; email only when $include_email.
SELECT m.user_id, m.arm, m.risk, s.reasons, CASE WHEN $include_email THEN u.email END AS email
FROM campaign_members m
JOIN campaigns c USING (campaign_id)
LEFT JOIN users u USING (user_id)
LEFT JOIN (
    SELECT user_id, reasons FROM scores
    WHERE as_of = (SELECT scores_as_of FROM campaigns WHERE campaign_id = $campaign_id)
    QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY scored_at DESC, model_version DESC) = 1
) s USING (user_id)
WHERE m.campaign_id = $campaign_id AND m.arm = $arm AND m.arm <> 'control'
ORDER BY m.risk DESC, m.user_id
