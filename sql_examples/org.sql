-- An org chart: who reports to whom.  The management chain is recursive; headcount and payroll
-- per manager count everyone below, directly or not, and follow hires, departures and reorgs.
--
-- Run:   deltasql run sql_examples/org.sql sql_examples/org_changes.sql
-- Check: deltasql check sql_examples/org.sql sql_examples/org_changes.sql

CREATE TABLE employees (
    id          INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    manager_id  INTEGER,                 -- NULL for the CEO
    dept        VARCHAR NOT NULL,
    salary      DECIMAL(10, 2) NOT NULL
);

-- Every (employee, manager above them) pair, with how many levels up the manager is.
CREATE VIEW management_chain AS
WITH RECURSIVE chain(employee_id, manager_id, levels) AS (
    SELECT id, manager_id, 1
    FROM employees
    WHERE manager_id IS NOT NULL
    UNION ALL
    SELECT c.employee_id, e.manager_id, c.levels + 1
    FROM chain c
    JOIN employees e ON e.id = c.manager_id
    WHERE e.manager_id IS NOT NULL
)
SELECT employee_id, manager_id, levels FROM chain;

-- Per manager: direct reports, everyone below, and the payroll of everyone below.
CREATE VIEW headcount AS
SELECT m.id, m.name,
       COUNT(*) FILTER (WHERE c.levels = 1) AS direct_reports,
       COUNT(*)                             AS total_reports,
       SUM(e.salary)                        AS payroll_below
FROM management_chain c
JOIN employees m ON m.id = c.manager_id
JOIN employees e ON e.id = c.employee_id
GROUP BY m.id, m.name;

-- How deep the organisation is, and how many people sit at each depth (the CEO at 0).
CREATE VIEW depth_profile AS
WITH depth AS (
    SELECT e.id, COALESCE(MAX(c.levels), 0) AS depth
    FROM employees e
    LEFT JOIN management_chain c ON c.employee_id = e.id
    GROUP BY e.id
)
SELECT depth, COUNT(*) AS people FROM depth GROUP BY depth;

-- Managers with more than three direct reports.
CREATE VIEW wide_spans AS
SELECT m.name, COUNT(*) AS direct_reports
FROM employees e
JOIN employees m ON m.id = e.manager_id
GROUP BY m.name
HAVING COUNT(*) > 3;

-- People who earn more than their own manager.
CREATE VIEW out_earning_their_manager AS
SELECT e.name, e.salary, m.name AS manager, m.salary AS manager_salary
FROM employees e
JOIN employees m ON m.id = e.manager_id
WHERE e.salary > m.salary;
