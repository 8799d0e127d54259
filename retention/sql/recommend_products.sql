-- Product text for the content model and titles for display. No parameters.
SELECT item_id, title, category, brand, description FROM products ORDER BY item_id
