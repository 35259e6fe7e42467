-- A day in the shop.  Each BEGIN … COMMIT block is one step; a statement outside a transaction
-- is a step of its own.

-- Opening: the customer base and last month's orders arrive together.
BEGIN;
INSERT INTO customers VALUES
    (1, 'Ada',    'EU'),
    (2, 'Bashir', 'EU'),
    (3, 'Chen',   'APAC'),
    (4, 'Dolores','AMER'),
    (5, 'Emeka',  'EMEA');
INSERT INTO orders VALUES
    (100, 1, DATE '2024-05-02', 120.00, 'shipped'),
    (101, 2, DATE '2024-05-03',  35.50, 'shipped'),
    (102, 3, DATE '2024-05-10', 410.25, 'shipped'),
    (103, 1, DATE '2024-05-21',  60.00, 'cancelled'),
    (104, 4, DATE '2024-05-28',  99.99, 'shipped');
COMMIT;

-- New orders trickle in, one step each.
INSERT INTO orders VALUES (105, 2, DATE '2024-06-01', 250.00, 'open');
INSERT INTO orders VALUES (106, 5, DATE '2024-06-01',  15.00, 'open');
INSERT INTO orders VALUES (107, 4, DATE '2024-06-02', 330.00, 'open');

-- Shipping: open orders of the first of June go out.
UPDATE orders SET status = 'shipped' WHERE status = 'open' AND placed_on = DATE '2024-06-01';

-- Dolores cancels her big order: the top three changes.
UPDATE orders SET status = 'cancelled' WHERE id = 107;

-- A new customer and her first order, atomically.
BEGIN;
INSERT INTO customers VALUES (6, 'Farah', 'APAC');
INSERT INTO orders VALUES (108, 6, DATE '2024-06-03', 999.00, 'open');
COMMIT;

-- An order entered by mistake is removed, and the correction rolled back: nothing happens.
BEGIN;
DELETE FROM orders WHERE id = 108;
ROLLBACK;

-- Cancelled orders are purged.
DELETE FROM orders WHERE status = 'cancelled';

-- A quick look at the current top three.
SELECT name, revenue FROM top_customers ORDER BY revenue DESC;
