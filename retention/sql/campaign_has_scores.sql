-- Whether any churn score is stored.
SELECT EXISTS (SELECT 1 FROM scores) AS found
