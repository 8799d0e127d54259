-- The names of saved recommender runs. No parameters.
SELECT name FROM model_runs WHERE name IS NOT NULL
