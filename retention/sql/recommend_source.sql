-- What feedback the recommenders can use: rated pairs, purchase lines with an item id, and their time range.
-- $test_share: DOUBLE in (0, 1), the share of events at or after each default cutoff.
SELECT
    (SELECT count(*) FROM ratings WHERE item_id IS NOT NULL) AS rating_rows,
    (SELECT count(*) FROM orders WHERE item_id IS NOT NULL AND quantity > 0) AS purchase_rows,
    (SELECT quantile_disc(ts, 1 - $test_share) FROM ratings WHERE item_id IS NOT NULL) AS ratings_cutoff,
    (SELECT quantile_disc(ts, 1 - $test_share) FROM orders WHERE item_id IS NOT NULL AND quantity > 0) AS purchases_cutoff
