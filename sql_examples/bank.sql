-- Banking: accounts and the transfers between them.  A deposit is a transfer from no account,
-- a withdrawal a transfer to no account.  Balances are never stored: they are views, kept exact
-- (DECIMAL) as transfers are booked and reversed.
--
-- Run:   deltasql run sql_examples/bank.sql sql_examples/bank.accounts.csv sql_examples/bank_transfers.jsonl
-- Check: deltasql check sql_examples/bank.sql sql_examples/bank.accounts.csv sql_examples/bank_transfers.jsonl

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    owner            VARCHAR NOT NULL,
    overdraft_limit  DECIMAL(12, 2) NOT NULL   -- how far below zero the balance may go
);

CREATE TABLE transfers (
    id            INTEGER PRIMARY KEY,
    from_account  INTEGER,                     -- NULL for a deposit
    to_account    INTEGER,                     -- NULL for a withdrawal
    amount        DECIMAL(12, 2) NOT NULL,
    booked_on     DATE NOT NULL
);

-- Every account's balance: money in minus money out; accounts without transfers show 0.
CREATE VIEW balances AS
WITH movements AS (
    SELECT to_account AS account, amount FROM transfers WHERE to_account IS NOT NULL
    UNION ALL
    SELECT from_account, -amount FROM transfers WHERE from_account IS NOT NULL
)
SELECT a.id, a.owner, COALESCE(SUM(m.amount), 0) AS balance
FROM accounts a
LEFT JOIN movements m ON m.account = a.id
GROUP BY a.id, a.owner;

-- Accounts below their overdraft limit: the list the risk team works through.
CREATE VIEW overdrawn AS
SELECT b.id, b.owner, b.balance, a.overdraft_limit
FROM balances b
JOIN accounts a ON a.id = b.id
WHERE b.balance < -a.overdraft_limit;

-- Transfers between two customers of 1000 or more, with both owners' names.
CREATE VIEW large_transfers AS
SELECT t.id, src.owner AS sender, dst.owner AS receiver, t.amount, t.booked_on
FROM transfers t
JOIN accounts src ON src.id = t.from_account
JOIN accounts dst ON dst.id = t.to_account
WHERE t.amount >= 1000;

-- Money moved per day, by kind of transfer.
CREATE VIEW daily_volume AS
SELECT booked_on,
       CASE WHEN from_account IS NULL THEN 'deposit'
            WHEN to_account IS NULL THEN 'withdrawal'
            ELSE 'transfer' END AS kind,
       COUNT(*) AS transfers,
       SUM(amount) AS volume
FROM transfers
GROUP BY booked_on, kind;

-- The bank's total deposits held: one row, even before the first account exists.
CREATE VIEW totals AS
SELECT COUNT(*) AS accounts, SUM(balance) AS held, MIN(balance) AS lowest
FROM balances;
