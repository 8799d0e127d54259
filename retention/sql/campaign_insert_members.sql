-- The members of a launched campaign, from the registered frame campaign_members_new.
-- $campaign_id: INTEGER
INSERT INTO campaign_members
SELECT $campaign_id, user_id, arm, risk, risk_decile, assignment, expected_value, reasons
FROM campaign_members_new
