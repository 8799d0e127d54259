INSERT OR REPLACE INTO campaign_results VALUES ($campaign_id, $arm, $measured_through, $results)
