-- Demote the serving promotion(s).
-- $demoted_at: TIMESTAMP.
UPDATE promotions SET demoted_at = $demoted_at WHERE demoted_at IS NULL
