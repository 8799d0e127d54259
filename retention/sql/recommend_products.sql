-- Product text for the content model and titles for display.
SELECT item_id, title, category, brand, description FROM products ORDER BY item_id
