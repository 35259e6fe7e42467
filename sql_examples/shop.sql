-- A web shop: customers in regions place orders, which ship or get cancelled.
-- The views are what a dashboard would show, kept up to date order by order.
--
-- Run:   deltasql run sql_examples/shop.sql sql_examples/shop_changes.sql
-- Check: deltasql check sql_examples/shop.sql sql_examples/shop_changes.sql

CREATE TABLE customers (
    id      INTEGER PRIMARY KEY,
    name    VARCHAR NOT NULL,
    region  VARCHAR NOT NULL
);

CREATE TABLE orders (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL,
    placed_on    DATE NOT NULL,
    amount       DECIMAL(10, 2) NOT NULL,
    status       VARCHAR NOT NULL          -- 'open', 'shipped' or 'cancelled'
);

-- Revenue per region: cancelled orders do not count.
CREATE VIEW revenue_by_region AS
SELECT c.region,
       COUNT(*)      AS orders,
       SUM(o.amount) AS revenue,
       AVG(o.amount) AS avg_order
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.status <> 'cancelled'
GROUP BY c.region;

-- The three best customers by revenue; ties broken by id so the answer is unique.
CREATE VIEW top_customers AS
SELECT c.id, c.name, SUM(o.amount) AS revenue
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.status <> 'cancelled'
GROUP BY c.id, c.name
ORDER BY revenue DESC, c.id
LIMIT 3;

-- Revenue per month, with the month's largest order.
CREATE VIEW monthly_sales AS
SELECT CAST(date_trunc('month', placed_on) AS DATE) AS month,
       COUNT(*)    AS orders,
       SUM(amount) AS revenue,
       MAX(amount) AS largest_order
FROM orders
WHERE status <> 'cancelled'
GROUP BY CAST(date_trunc('month', placed_on) AS DATE);

-- Customers with nothing ordered yet: whom marketing should call.
CREATE VIEW customers_without_orders AS
SELECT c.id, c.name, c.region
FROM customers c
WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id);

-- Open orders waiting to ship, per customer, including customers with none open.
CREATE VIEW open_orders AS
SELECT c.name, COUNT(o.id) AS open_orders, COALESCE(SUM(o.amount), 0) AS open_amount
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id AND o.status = 'open'
GROUP BY c.name;
