-- One arm's measured result (replaces an earlier measurement of the same arm).
-- $campaign_id: INTEGER; $arm: VARCHAR; $measured_through: TIMESTAMP; $results: VARCHAR (the row as JSON)
INSERT OR REPLACE INTO campaign_results VALUES ($campaign_id, $arm, $measured_through, $results)
