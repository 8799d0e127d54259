-- What each exclusion removed when a campaign was launched. $campaign_id: INTEGER.
-- Columns: exclusions (VARCHAR JSON object, exclusion -> customers; NULL for a draft or a campaign launched before
-- migration 017). No row when the id is unknown.
SELECT exclusions FROM campaigns WHERE campaign_id = $campaign_id
