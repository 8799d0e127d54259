-- The arms (control included) of a launched campaign, from the registered frame campaign_arms_new.
-- $campaign_id: INTEGER
INSERT INTO campaign_arms (
    campaign_id, arm, template, share, cost_per_contact, discount_share,
    uplift_low, uplift_likely, uplift_high, recommender_run, channel
)
SELECT $campaign_id, arm, template, share, cost_per_contact, discount_share,
       uplift_low, uplift_likely, uplift_high, recommender_run, channel
FROM campaign_arms_new
