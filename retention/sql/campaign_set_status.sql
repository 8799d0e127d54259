UPDATE campaigns SET status = $status WHERE campaign_id = $campaign_id
