-- How many users there are and how many have a value in one breakdown column (empty columns are not offered).
-- Parameters: $breakdown (VARCHAR: a checked users column).
SELECT count(*) AS users, count(struct_extract(u.row, $breakdown)) AS filled
FROM (SELECT users AS row FROM users) AS u
