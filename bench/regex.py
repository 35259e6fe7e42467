"""Regular expressions on each matcher (sqllib/matchers.py): RE2 (the `re2` extra), the pure-Python
Pike VM it falls back to, and Python's re on the same texts, against DuckDB in the same run.
`python -m bench.regex [ROWS]`: a view counting the rows a pattern matches, fed ROWS texts of 60
characters in one step; CPU seconds beside wall seconds (the machine is shared)."""

from __future__ import annotations

import random
import re
import sys
import time

from deltasql import Pipeline
from deltasql.sqllib import matchers

PATTERNS = [r"\d+-\d+", r"(ab|ba)+z", r"^[a-z ]*$", r"^(a+)+$"]


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def ours(rows, pattern: str, use_re2: bool):
    matchers.use_google_re2(use_re2)
    try:
        p = Pipeline()
        p.execute("CREATE TABLE t(s VARCHAR)")
        p.execute(f"CREATE VIEW v AS SELECT COUNT(*) AS n FROM t WHERE regexp_matches(s, '{pattern}')")
        p.insert("t", rows)
        _, wall, cpu = timed(p.step)
        return p.view("v").rows()[0][0], wall, cpu
    finally:
        matchers.use_google_re2(True)


def main(argv=None) -> None:
    import duckdb

    n = int((argv or sys.argv[1:] or ["20000"])[0])
    rnd = random.Random(1)
    rows = [("".join(rnd.choice("ab12- xyz") for _ in range(60)),) for _ in range(n)]
    db = duckdb.connect()
    db.execute("CREATE TABLE t(s VARCHAR)")
    db.executemany("INSERT INTO t VALUES (?)", rows)
    print(f"{n:,} texts of 60 characters; seconds wall / CPU")
    print(f"{'pattern':12} {'matches':>8} {'RE2':>12} {'Pike VM':>12} {'Python re':>10} {'DuckDB':>12}")
    for pattern in PATTERNS:
        (count, w2, c2) = ours(rows, pattern, True) if matchers.google_re2_available() else (None, 0, 0)
        (count_vm, wv, cv) = ours(rows, pattern, False)
        rx = re.compile(pattern)
        _, _, cre = timed(lambda: sum(1 for (s,) in rows if rx.search(s)))
        (theirs,), wd, cd = timed(lambda: db.execute(
            f"SELECT COUNT(*) FROM t WHERE regexp_matches(s, '{pattern}')").fetchone())
        assert count_vm == theirs and count in (None, theirs), (pattern, count, count_vm, theirs)
        re2_cell = f"{w2:.2f}/{c2:.2f}" if count is not None else "absent"
        print(f"{pattern:12} {theirs:>8} {re2_cell:>12} {wv:>5.2f}/{cv:<5.2f} {cre:>10.2f} {wd:>5.2f}/{cd:<5.2f}")


if __name__ == "__main__":
    main()
