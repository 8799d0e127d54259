-- The next campaign id.
SELECT nextval('campaign_seq') AS campaign_id
