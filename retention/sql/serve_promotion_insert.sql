-- Record a promotion (the caller demotes the one serving first, in the same transaction: serve_demote).
-- $run_id: INTEGER; $k: INTEGER; $snapshot: VARCHAR; $customers: INTEGER; $promoted_at: TIMESTAMP.
INSERT INTO promotions (promotion_id, run_id, k, snapshot, customers, promoted_at)
VALUES (nextval('promotion_seq'), $run_id, $k, $snapshot, $customers, $promoted_at)
RETURNING promotion_id
