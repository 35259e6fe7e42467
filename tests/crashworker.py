"""The process test_crash.py kills: it opens (or creates) a durable pipeline and streams random steps
into it until it is killed, reporting on stdout what it is doing.

    python -m tests.crashworker PATH SEED [--checkpoint-every N] [--durability full|group] [--workers N]

Lines: ``B k`` before step k, ``S k`` once step k returned (it is durable), ``C k`` / ``c k`` around a
checkpoint after step k, ``D k`` / ``d k`` around the DDL run after step k.  Step k's changes are a
function of (seed, k, the tables after step k - 1) only, so any process (the test's in-memory replica
too) that has the tables of step k - 1 makes the same step k: a restarted worker goes on with exactly
the history a worker that never died would have had.
"""

from __future__ import annotations

import argparse
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from deltasql import Pipeline  # noqa: E402

# (name, statement): created one by one, so a worker killed while creating them finishes the rest
SCHEMA = [
    ("accounts", "CREATE TABLE accounts(id INT PRIMARY KEY, owner VARCHAR, branch INT)"),
    ("moves", "CREATE TABLE moves(id INT, account INT, amount DECIMAL(12, 2), day INT)"),
    ("links", "CREATE TABLE links(src INT, dst INT)"),
    ("padding", "CREATE TABLE padding(k INT, v VARCHAR)"),  # bulk, so that checkpoints take a while
    ("balances", "CREATE VIEW balances AS SELECT a.owner, a.branch, COUNT(m.id) AS n, SUM(m.amount) AS total "
                 "FROM accounts a LEFT JOIN moves m ON m.account = a.id GROUP BY a.owner, a.branch"),
    ("branch_totals", "CREATE VIEW branch_totals AS SELECT a.branch, SUM(m.amount) AS total, MIN(m.amount) AS low, "
                      "MAX(m.amount) AS high FROM moves m JOIN accounts a ON a.id = m.account GROUP BY a.branch "
                      "HAVING COUNT(*) > 1"),
    ("running", "CREATE VIEW running AS SELECT account, day, id, SUM(amount) OVER (PARTITION BY account "
                "ORDER BY day, id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS balance, "
                "RANK() OVER (PARTITION BY account ORDER BY amount DESC) AS r FROM moves"),
    ("biggest", "CREATE VIEW biggest AS SELECT id, account, amount FROM moves "
                "ORDER BY amount DESC, id, account, day LIMIT 3"),
    ("reach", "CREATE VIEW reach AS WITH RECURSIVE r(a, b) AS (SELECT src, dst FROM links UNION "
              "SELECT r.a, l.dst FROM r JOIN links l ON r.b = l.src) SELECT a, b FROM r"),
    ("idle", "CREATE VIEW idle AS SELECT id, owner FROM accounts a "
             "WHERE NOT EXISTS (SELECT 1 FROM moves m WHERE m.account = a.id)"),
    ("pads", "CREATE VIEW pads AS SELECT k % 100 AS g, COUNT(*) AS n, MAX(v) AS v FROM padding GROUP BY k % 100"),
]
# run after step LATE_AT: a view created over existing data (backfilled) and a view dropped
LATE_AT = 12
LATE = [("late", "CREATE VIEW late AS SELECT owner, COUNT(*) AS n FROM accounts GROUP BY owner"),
        ("-idle", "DROP VIEW idle")]
OWNERS = ["ann", "ben", "cat", None]
PADDING_ROWS = 20_000
BULK_EVERY = 15  # every BULK_EVERY-th step rewrites a tenth of the padding table


def create_schema(p) -> None:
    if p.last_step:  # created before step 1, and some of it dropped since
        return
    have = set(p.tables) | set(p.views)
    for name, sql in SCHEMA:
        if name not in have:
            p.execute(sql)


def late_ddl(p, report=None) -> None:
    for name, sql in LATE:
        exists = name[1:] in p.views if name.startswith("-") else name in p.views
        if exists == name.startswith("-"):
            if report:
                report(f"D {p.last_step}")
            p.execute(sql)
            if report:
                report(f"d {p.last_step}")


def queue_step(p, seed: int, k: int) -> None:
    """Queue step k's changes: random deletes of present rows, then inserts (an existing account id
    is replaced: an upsert on the primary key), then perhaps an update of one account's moves.  All
    through insert/upsert/delete: a SQL change statement would be a step of its own (autocommit)."""
    rnd = random.Random(f"{seed}:{k}")
    if k == 1:
        p.insert("padding", [(i, f"pad{i:06d}") for i in range(PADDING_ROWS)])
    kinds = sorted(rnd.choice("mmaalLiiiu") for _ in range(rnd.randint(1, 6)))  # deletes (capitals) first
    present = {t: p.table_rows(t) for t in ("accounts", "moves", "links")}
    for kind in kinds:
        if kind in "aLm":
            table = {"a": "accounts", "L": "links", "m": "moves"}[kind]
            if present[table]:
                p.delete(table, [present[table].pop(rnd.randrange(len(present[table])))])
        elif kind == "i":
            r = rnd.random()
            if r < 0.3:
                p.upsert("accounts", [(rnd.randint(1, 9), rnd.choice(OWNERS), rnd.randint(1, 3))])
            elif r < 0.8:
                row = (rnd.randint(1, 40), rnd.randint(1, 10), rnd.choice(["5.00", "-2.50", "100.25", None]),
                       rnd.randint(1, 5))
                p.insert("moves", [row] * rnd.randint(1, 2))
            else:
                p.insert("links", [(rnd.randint(0, 6), rnd.randint(0, 6))])
        elif kind == "l":
            p.insert("links", [(rnd.randint(0, 6), rnd.randint(0, 6))])
        else:  # UPDATE moves SET amount = amount + 1 WHERE account = a
            a = rnd.randint(1, 10)
            old = [m for m in present["moves"] if m[1] == a and m[2] is not None]
            p.delete("moves", old)
            p.insert("moves", [(m[0], m[1], m[2] + 1, m[3]) for m in old])
            break
    if k % BULK_EVERY == 0:  # a bulk update of the padding table
        old = [r for r in p.table_rows("padding") if r[0] % 10 == k % 10]
        p.delete("padding", old)
        p.insert("padding", [(i, f"re{k}") for i in range(k % 10, PADDING_ROWS, 10)])


def advance(p, seed: int, upto: int, report=None) -> None:
    """Step p from its last step up to step ``upto``: what the worker does (with reports), and what
    the test's in-memory replica does to know what the worker's pipeline must hold."""
    while p.last_step < upto:
        if p.last_step == LATE_AT:
            late_ddl(p, report)
        k = p.last_step + 1
        queue_step(p, seed, k)
        if report:
            report(f"B {k}")
        p.step(meta={"step": k})
        if report:
            report(f"S {k}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("seed", type=int)
    ap.add_argument("--checkpoint-every", type=int, default=7)
    ap.add_argument("--durability", default="full")
    ap.add_argument("--steps", type=int, default=10**9)
    ap.add_argument("--workers", type=int, default=1, help="worker processes (a sharded pipeline)")
    args = ap.parse_args(argv)

    def report(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    p = Pipeline(path=args.path, durability=args.durability, checkpoint_every=args.checkpoint_every,
                 checkpoint_interval=1e9, workers=args.workers)
    report(f"O {p.last_step}")
    real_checkpoint = p.checkpoint

    def checkpoint():
        report(f"C {p.last_step}")
        real_checkpoint()
        report(f"c {p.last_step}")

    p.checkpoint = checkpoint
    create_schema(p)
    advance(p, args.seed, args.steps, report)
    p.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
