-- The share of scored customers per risk band at each stored scoring with this horizon (the run scored last at
-- each date). Bands by lower edge: risk < $edges[1] is band 0, $edges[1] <= risk < $edges[2] band 1, and so on.
-- Parameters: $horizon_days (INTEGER), $max_scorings (INTEGER: the newest this many scorings are read; part runs:
-- monitoring_recent_runs),
-- $edges (DOUBLE[], ascending inner edges, e.g. [0.25, 0.5, 0.75]).
-- Returns as_of (DATE), band (INTEGER, 0 = lowest), customers, share (in [0, 1], summing to 1 per as_of);
-- only non-empty bands, ordered by as_of and band.
WITH runs AS (
    -- @part runs
),
banded AS (
    SELECT
        s.as_of,
        len(list_filter($edges::DOUBLE[], lambda edge: edge <= s.risk)) AS band
    FROM scores AS s
    JOIN runs AS r USING (as_of, horizon_days, model_version)
)
SELECT as_of, band, count(*) AS customers, count(*) / sum(count(*)) OVER (PARTITION BY as_of) AS share
FROM banded
GROUP BY as_of, band
ORDER BY as_of, band
