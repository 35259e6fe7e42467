"""A deltasql process following a source into a durable pipeline, for the crash tests (SIGKILL at random
moments): ``python tests/sourceworker.py STATE VIEWS.sql SOURCE [--once] [--max-rows N] [--drop-slot]``.

Creates the pipeline from VIEWS.sql on first start, reopens it afterwards, and follows SOURCE
(postgresql://…, kafka://…, a directory) until killed, or with --once until caught up.  Prints
``step N`` after each step (N = the pipeline's step number, durable when printed).
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from deltasql import Pipeline  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("state")
    ap.add_argument("views")
    ap.add_argument("source")
    ap.add_argument("--once", action="store_true")
    ap.add_argument("--max-rows", type=int, default=10_000)
    ap.add_argument("--drop-slot", action="store_true")
    args = ap.parse_args()
    p = Pipeline(path=args.state)
    with open(args.views) as f:  # each statement once: a start killed while loading them did some
        for statement in f.read().split(";"):
            m = re.match(r"\s*CREATE\s+(?:TABLE|VIEW)\s+(\w+)", statement, re.I)
            if m and m.group(1) not in p.tables + p.views:
                p.execute(statement)
    options = {"follow": not args.once}
    if args.drop_slot:
        options["drop_slot"] = True
    p.follow(args.source, max_rows=args.max_rows,
             on_step=lambda changes, stats: print(f"step {p.last_step}", flush=True), **options)
    p.close()


if __name__ == "__main__":
    main()
