-- Move one campaign to a status (the caller checks the transition).
-- $campaign_id: INTEGER; $status: VARCHAR, one of draft / launched / measured / closed
UPDATE campaigns SET status = $status WHERE campaign_id = $campaign_id
