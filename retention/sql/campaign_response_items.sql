-- Item ids the simulated response orders can contain.
SELECT item_id FROM products ORDER BY item_id
