-- The promotion history, newest first, with each run's name and model (NULL for a run deleted since).
SELECT p.promotion_id, p.run_id, r.name AS run_name, r.model, p.k, p.customers, p.snapshot, p.promoted_at,
       p.demoted_at, p.demoted_at IS NULL AS serving
FROM promotions AS p
LEFT JOIN model_runs AS r USING (run_id)
ORDER BY p.promoted_at DESC, p.promotion_id DESC
