-- Orders, customers and revenue per month (revenue: quantity x unit price, returns subtract)
SELECT
    date_trunc('month', ts) AS month,
    count(DISTINCT order_id) AS orders,
    count(DISTINCT user_id) AS customers,
    round(sum(quantity * unit_price), 2) AS revenue
FROM orders
GROUP BY ALL
ORDER BY month
