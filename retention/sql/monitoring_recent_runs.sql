-- The newest $max_scorings (INTEGER) scorings with horizon $horizon_days (INTEGER), one per as_of: of the runs saved
-- at one date, the one scored last (as monitoring_score_runs). Spliced as a part (parts={"runs": "monitoring_recent_runs"}).
-- Returns as_of (DATE), horizon_days, model_version, scored_at.
SELECT *
FROM (
    SELECT as_of, horizon_days, model_version, max(scored_at) AS scored_at
    FROM scores
    WHERE horizon_days = $horizon_days
    GROUP BY as_of, horizon_days, model_version
    QUALIFY row_number() OVER (PARTITION BY as_of ORDER BY max(scored_at) DESC, model_version) = 1
)
ORDER BY as_of DESC
LIMIT $max_scorings
