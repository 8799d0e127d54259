-- The customers' attributes that slice the recommender metrics: those with a country or a channel. No parameters.
SELECT user_id, country, channel
FROM users
WHERE country IS NOT NULL OR channel IS NOT NULL
