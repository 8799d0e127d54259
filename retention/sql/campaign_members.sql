-- Members of one campaign with what the response generator and the arm counts need.
-- $campaign_id: INTEGER
SELECT user_id, arm, risk, expected_value FROM campaign_members WHERE campaign_id = $campaign_id ORDER BY user_id
