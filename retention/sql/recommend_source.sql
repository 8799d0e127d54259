-- What feedback the recommenders can use: rated pairs, purchase lines with an item id, and their time range.
-- Item codes kept out of products (non_products with a status in $kept_out) do not count.
-- $test_share: DOUBLE in (0, 1), the share of events at or after each default cutoff.
-- $kept_out: VARCHAR[], the non-product statuses kept out ('suggested', 'confirmed').
WITH rated AS (
    SELECT ts FROM ratings
    WHERE item_id IS NOT NULL AND item_id NOT IN (SELECT item_id FROM non_products WHERE list_contains($kept_out, status))
),
bought AS (
    SELECT ts FROM orders
    WHERE item_id IS NOT NULL AND quantity > 0 AND item_id NOT IN (SELECT item_id FROM non_products WHERE list_contains($kept_out, status))
)
SELECT
    (SELECT count(*) FROM rated) AS rating_rows,
    (SELECT count(*) FROM bought) AS purchase_rows,
    (SELECT quantile_disc(ts, 1 - $test_share) FROM rated) AS ratings_cutoff,
    (SELECT quantile_disc(ts, 1 - $test_share) FROM bought) AS purchases_cutoff
