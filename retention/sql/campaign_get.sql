-- One campaign by id.
-- $campaign_id: INTEGER
SELECT campaign_id, name, config, status, idempotency_key, parent_id, wave, horizon_days,
       scores_as_of, scores_model_version, start_ts, created_at, launched_at, overlap_allowed, excluded_open,
       open_overlap
FROM campaigns WHERE campaign_id = $campaign_id
