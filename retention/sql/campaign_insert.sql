-- One campaign row; status 'draft' (no members yet) or 'launched'.
-- $campaign_id, $parent_id (or NULL), $wave, $horizon_days (days): INTEGER
-- $name, $config (the config's JSON), $status: VARCHAR; $idempotency_key, $scores_model_version: VARCHAR,
-- $scores_as_of: DATE and $start_ts: TIMESTAMP, each NULL for a draft
-- $overlap_allowed: BOOLEAN, $excluded_open, $open_overlap: INTEGER (see migration 011), each NULL for a draft
-- $exclusions: VARCHAR JSON object, exclusion -> customers it removed (see migration 017), NULL for a draft
INSERT INTO campaigns (
    campaign_id, name, config, status, idempotency_key, parent_id, wave, horizon_days,
    scores_as_of, scores_model_version, start_ts, created_at, launched_at, overlap_allowed, excluded_open, open_overlap,
    exclusions
)
VALUES (
    $campaign_id, $name, $config, $status, $idempotency_key, $parent_id, $wave, $horizon_days,
    $scores_as_of, $scores_model_version, $start_ts, now()::TIMESTAMP, CASE WHEN $status = 'launched' THEN now()::TIMESTAMP END,
    $overlap_allowed, $excluded_open, $open_overlap, $exclusions
)
