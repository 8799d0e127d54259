-- Every item code with a non-product status (suggested, confirmed or rejected). No parameters.
SELECT item_id, status FROM non_products ORDER BY item_id
