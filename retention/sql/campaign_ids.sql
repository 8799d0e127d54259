-- Every campaign id, ascending (for messages naming the known ids).
SELECT coalesce(list(campaign_id ORDER BY campaign_id), []) AS ids FROM campaigns
