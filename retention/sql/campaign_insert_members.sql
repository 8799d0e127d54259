-- The members of a launched campaign, from the registered frame campaign_members_new.
-- $campaign_id: INTEGER
INSERT INTO campaign_members (
    campaign_id, user_id, arm, risk, risk_decile, assignment, expected_value, reasons,
    offer_code, recommended_items, recommendation_mode
)
SELECT $campaign_id, user_id, arm, risk, risk_decile, assignment, expected_value, reasons,
       offer_code, recommended_items, recommendation_mode
FROM campaign_members_new
