-- The promotion that serves: the newest one not demoted; zero rows or one.
SELECT promotion_id, run_id, k, snapshot, customers, promoted_at
FROM promotions
WHERE demoted_at IS NULL
ORDER BY promoted_at DESC, promotion_id DESC
LIMIT 1
