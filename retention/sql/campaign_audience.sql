-- A campaign's audience: the scored customers matching its filters that no exclusion removes (part candidates:
-- campaign_audience_candidates, with its parts and parameters), ranked, then cut to the first $top_n.
-- $rank_by: VARCHAR 'risk' (churn probability) or 'expected_loss' (risk * expected_value); ties go to the riskier
-- customer, then the smaller user_id. $top_n: INTEGER or NULL (all).
-- Columns: those of campaign_audience_candidates but the exclusion flags, in rank order.
WITH candidates AS (
    -- @part candidates
)
SELECT * EXCLUDE (
    excluded_suppressed, excluded_open_campaign, excluded_campaigns, excluded_contacted, excluded_bought,
    excluded_nonpositive_revenue, excluded_lapsed
)
FROM candidates
WHERE NOT (
    excluded_suppressed OR excluded_open_campaign OR excluded_campaigns OR excluded_contacted OR excluded_bought
    OR excluded_nonpositive_revenue OR excluded_lapsed
)
QUALIFY row_number() OVER (
    ORDER BY CASE WHEN $rank_by = 'expected_loss' THEN expected_loss ELSE risk END DESC, risk DESC, user_id
) <= coalesce($top_n::BIGINT, 9223372036854775807)
ORDER BY CASE WHEN $rank_by = 'expected_loss' THEN expected_loss ELSE risk END DESC, risk DESC, user_id
