-- The arms (control included) of a launched campaign, from the registered frame campaign_arms_new.
-- $campaign_id: INTEGER
INSERT INTO campaign_arms
SELECT $campaign_id, arm, template, share, cost_per_contact, discount_share,
       uplift_low, uplift_likely, uplift_high, recommender_run
FROM campaign_arms_new
