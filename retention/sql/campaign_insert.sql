-- One campaign row; status 'draft' (no members yet) or 'launched'.
INSERT INTO campaigns (
    campaign_id, name, config, status, idempotency_key, parent_id, wave, horizon_days,
    scores_as_of, scores_model_version, start_ts, created_at, launched_at
)
VALUES (
    $campaign_id, $name, $config, $status, $idempotency_key, $parent_id, $wave, $horizon_days,
    $scores_as_of, $scores_model_version, $start_ts, now()::TIMESTAMP, CASE WHEN $status = 'launched' THEN now()::TIMESTAMP END
)
