-- A draft becomes launched (members are written in the same transaction).
-- $campaign_id: INTEGER; $config, $idempotency_key, $scores_model_version: VARCHAR;
-- $scores_as_of: DATE; $start_ts: TIMESTAMP (the latest order at launch)
-- $overlap_allowed: BOOLEAN; $excluded_open, $open_overlap: INTEGER (see migration 011)
-- $exclusions: VARCHAR JSON object, exclusion -> customers it removed (see migration 017)
UPDATE campaigns
SET status = 'launched', config = $config, idempotency_key = $idempotency_key, scores_as_of = $scores_as_of, scores_model_version = $scores_model_version,
    start_ts = $start_ts, launched_at = now()::TIMESTAMP,
    overlap_allowed = $overlap_allowed, excluded_open = $excluded_open, open_overlap = $open_overlap,
    exclusions = $exclusions
WHERE campaign_id = $campaign_id AND status = 'draft'
