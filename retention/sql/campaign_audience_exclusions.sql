-- How many of the customers matching an audience's filters each exclusion removes, applied in sequence: a customer
-- is counted against the first exclusion that removes it (the order of audience.EXCLUSIONS), so
-- matched = kept + the sum of the removed. Part candidates: campaign_audience_candidates (its parts and parameters).
-- One row: matched, suppressed, open_campaign, excluded_campaigns, contacted, bought, nonpositive_revenue, lapsed,
-- kept (BIGINT; kept is before the audience's top_n).
WITH candidates AS (
    -- @part candidates
)
SELECT
    count(*) AS matched,
    count(*) FILTER (WHERE excluded_suppressed) AS suppressed,
    count(*) FILTER (WHERE NOT excluded_suppressed AND excluded_open_campaign) AS open_campaign,
    count(*) FILTER (
        WHERE NOT (excluded_suppressed OR excluded_open_campaign) AND excluded_campaigns
    ) AS excluded_campaigns,
    count(*) FILTER (
        WHERE NOT (excluded_suppressed OR excluded_open_campaign OR excluded_campaigns) AND excluded_contacted
    ) AS contacted,
    count(*) FILTER (
        WHERE NOT (excluded_suppressed OR excluded_open_campaign OR excluded_campaigns OR excluded_contacted)
          AND excluded_bought
    ) AS bought,
    count(*) FILTER (
        WHERE NOT (
            excluded_suppressed OR excluded_open_campaign OR excluded_campaigns OR excluded_contacted OR excluded_bought
        ) AND excluded_nonpositive_revenue
    ) AS nonpositive_revenue,
    count(*) FILTER (
        WHERE NOT (
            excluded_suppressed OR excluded_open_campaign OR excluded_campaigns OR excluded_contacted OR excluded_bought
            OR excluded_nonpositive_revenue
        ) AND excluded_lapsed
    ) AS lapsed,
    count(*) FILTER (
        WHERE NOT (
            excluded_suppressed OR excluded_open_campaign OR excluded_campaigns OR excluded_contacted OR excluded_bought
            OR excluded_nonpositive_revenue OR excluded_lapsed
        )
    ) AS kept
FROM candidates
