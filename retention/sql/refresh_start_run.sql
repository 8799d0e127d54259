-- Open a refresh run. Parameters: $settings (VARCHAR, JSON object). Returns run_id.
INSERT INTO refresh_runs (run_id, started_at, status, settings)
VALUES (nextval('refresh_run_seq'), now()::TIMESTAMP, 'running', $settings)
RETURNING run_id
