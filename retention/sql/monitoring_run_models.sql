-- Every saved recommender run with what is saved of its all-feedback model (no blob), oldest first.
-- model_version and fitted_at are NULL for a run without a saved model. No parameters.
SELECT r.run_id, coalesce(r.name, r.model || ' #' || r.run_id) AS name, r.model, r.split, r.created_at,
    m.data_version AS model_version, m.fitted_at
FROM model_runs r
LEFT JOIN recommender_models m USING (run_id)
ORDER BY r.run_id
