-- A year at the company.

-- The founding team.
BEGIN;
INSERT INTO employees VALUES
    (1, 'Grace',   NULL, 'exec',        250000),
    (2, 'Alan',    1,    'engineering', 180000),
    (3, 'Barbara', 1,    'sales',       150000),
    (4, 'Edsger',  2,    'engineering', 140000),
    (5, 'Frances', 2,    'engineering', 135000),
    (6, 'Ken',     4,    'engineering', 120000),
    (7, 'Dennis',  4,    'engineering', 125000),
    (8, 'Mary',    3,    'sales',        90000);
COMMIT;

-- Hires, one at a time.
INSERT INTO employees VALUES (9,  'Linus',  4, 'engineering', 118000);
INSERT INTO employees VALUES (10, 'Radia',  4, 'engineering', 145000);
INSERT INTO employees VALUES (11, 'Joan',   3, 'sales',        95000);

-- Edsger's team grows past four: a new team under Frances takes two of them.
UPDATE employees SET manager_id = 5 WHERE id IN (9, 10);

-- Raises for sales.
UPDATE employees SET salary = salary * 1.10 WHERE dept = 'sales';

-- Alan leaves; his reports move up to Grace in the same step.
BEGIN;
UPDATE employees SET manager_id = 1 WHERE manager_id = 2;
DELETE FROM employees WHERE id = 2;
COMMIT;

-- Sales becomes its own company: everyone in it leaves.
DELETE FROM employees WHERE dept = 'sales';
