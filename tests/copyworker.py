"""The process test_copy_crash.py kills: it opens (or creates) a durable pipeline and loads CSV files into
it with COPY, one file per step, until it is killed, reporting on stdout what it is doing.

    python -m tests.copyworker PATH DIR [--workers N]

Lines: ``O k`` once opened at step k, ``B k`` before the COPY of file k (its step k), ``S k`` once it
returned.  File k (``DIR/k.csv``, written by the test) holds the rows ``rows(k)``; a COPY outside a
transaction is a step of its own, so step k is file k.
"""

from __future__ import annotations

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from deltasql import Pipeline  # noqa: E402

SCHEMA = ["CREATE TABLE t(id INT PRIMARY KEY, g INT NOT NULL, s VARCHAR)",
          "CREATE TABLE log(g INT, s VARCHAR)",
          "CREATE VIEW by_g AS SELECT t.g, COUNT(*) AS n, SUM(t.id) AS total, MAX(t.s) AS s FROM t GROUP BY t.g",
          "CREATE VIEW joined AS SELECT l.s, COUNT(*) AS n FROM log l JOIN t ON t.g = l.g GROUP BY l.s"]
ROWS_PER_FILE = 3000  # about 60 kB: over the size from which the workers read a file


def rows(k: int) -> list:
    """File k's rows for table t: new keys, ten groups, texts that need quoting now and then."""
    return [(k * ROWS_PER_FILE + i, (k * 7 + i) % 10, f"f{k},{i % 5}" if i % 3 == 0 else f"s{i % 17}")
            for i in range(ROWS_PER_FILE)]


def log_rows(k: int) -> list:
    """File k's rows for table log (no key): duplicates across files."""
    return [(i % 10, f"l{(k + i) % 4}") for i in range(ROWS_PER_FILE)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("dir")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    def report(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    p = Pipeline(path=args.path, checkpoint_every=4, checkpoint_interval=1e9, workers=args.workers,
                 backend="processes")
    report(f"O {p.last_step}")
    for sql in SCHEMA:
        name = sql.split()[2].split("(")[0]
        if name not in p.tables and name not in p.views:
            p.execute(sql)
    while True:
        k = p.last_step + 1
        report(f"B {k}")
        table = "t" if k % 2 else "log"
        p.execute(f"COPY {table} FROM '{os.path.join(args.dir, f'{k}.csv')}' (HEADER false)")
        report(f"S {k}")


if __name__ == "__main__":
    sys.exit(main())
