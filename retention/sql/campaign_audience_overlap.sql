-- The members of campaigns still being measured (part open_members: campaign_open_members) whose customers match
-- an audience's filters (part audience: campaign_audience, run with $allow_overlap true and $top_n NULL): only
-- these rows leave DuckDB, not the whole audience. Parameters: those of campaign_audience.
-- Columns: user_id, campaign_id, name, arm, window_end (as campaign_open_members).
WITH candidates AS (
    -- @part audience
)
SELECT m.*
FROM (
    -- @part open_members
) AS m
WHERE m.user_id IN (SELECT user_id FROM candidates)
ORDER BY m.campaign_id, m.user_id
