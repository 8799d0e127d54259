-- What was computed while the sample was in the warehouse, deleted once its rows are gone: every churn
-- score, saved scoring run and churn model, recommender run and campaign (with its arms, members and
-- results), and the non-product codes still only suggested whose item no longer appears in any order or product. No parameters.
DELETE FROM campaign_results;
DELETE FROM campaign_members;
DELETE FROM campaign_arms;
DELETE FROM campaigns;
DELETE FROM scores;
DELETE FROM churn_models;
DELETE FROM churn_scorings;
DELETE FROM churn_scoring_customers;
DELETE FROM churn_scoring_details;
DELETE FROM model_runs;
DELETE FROM non_products
WHERE status = 'suggested'
    AND item_id NOT IN (SELECT item_id FROM orders WHERE item_id IS NOT NULL)
    AND item_id NOT IN (SELECT item_id FROM products);
