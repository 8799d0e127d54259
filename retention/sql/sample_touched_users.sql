-- List in the temp table rollup_touched every user whose users, orders or events rows belong to the
-- sample's batches, so that the activity rollup is recomputed for them once those rows are gone.
-- Parameters: $prefix (VARCHAR, see sample_batch_filter.sql).
INSERT INTO rollup_touched
WITH sample AS (
    SELECT batch_id FROM import_batches WHERE
    -- @part filter
)
SELECT user_id FROM users SEMI JOIN sample USING (batch_id)
UNION SELECT user_id FROM orders SEMI JOIN sample USING (batch_id)
UNION SELECT user_id FROM events SEMI JOIN sample USING (batch_id)
