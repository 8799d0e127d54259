-- Breakdown segments of the cohort users in a range, largest first: the first $top are kept, the rest pooled.
-- Parameters: $grain, $cohort_by, $first_cohort, $after_last_cohort (DATE or NULL), $missing_segment; part segments
-- (cohort_segment_column.sql with $breakdown, a checked users column, or cohort_segment_rfm.sql) gives each user's.
WITH members AS (
    SELECT
        r.user_id,
        date_trunc(
            $grain,
            CASE $cohort_by
                WHEN 'first_purchase' THEN r.first_purchase_ts
                WHEN 'first_event' THEN r.first_event_ts
                ELSE r.signup_ts
            END
        )::DATE AS cohort
    FROM rollup_users AS r
)
SELECT coalesce(u.segment, $missing_segment) AS segment, count(*) AS users
FROM members AS m
LEFT JOIN (
-- @part segments
) AS u USING (user_id)
WHERE m.cohort IS NOT NULL
    AND ($first_cohort IS NULL OR m.cohort >= $first_cohort::DATE)
    AND ($after_last_cohort IS NULL OR m.cohort < $after_last_cohort::DATE)
GROUP BY ALL
ORDER BY users DESC, segment
