-- Whether a refresh run already saved the scores of this data with this model: its scored_token (the data
-- token, horizon and model version) equals $scored_token (VARCHAR).
SELECT EXISTS (SELECT 1 FROM refresh_runs WHERE scored_token = $scored_token) AS scored
