"""Command line for long fuzzing runs: python -m tests.fuzz [--queries N] [--seed S] [--steps K].

    python -m tests.fuzz --queries 2000 --seed 100000      # views from cases 100000, 100001, ...
    python -m tests.fuzz --case 100042                     # one case: its SQL, outcome and reports
    python -m tests.fuzz --queries 500 --jsonl out.jsonl   # one JSON line per view, for later counting
    python -m tests.fuzz --replay out.jsonl                # re-run and reduce the bugs recorded there
    python -m tests.fuzz --summarize a.jsonl b.jsonl       # statistics over earlier runs
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.fuzz.generator import Case, GenView, _mentions, gen_case
from tests.fuzz.runner import BUG_STATUSES, CaseResult, Stats, ViewResult, run_case


def case_record(case: Case) -> dict:
    """What a case needs to run again: schema, domains and views (the stream follows from the seed)."""
    return {"seed": case.seed, "ddl": case.ddl, "domains": case.domains,
            "views": [{"name": v.name, "sql": v.sql, "ordered": v.ordered, "create_at": v.create_at,
                       "features": sorted(v.features)} for v in case.views]}


def case_from_record(rec: dict) -> Case:
    views = []
    for v in rec["views"]:
        deps = tuple(w.name for w in views if _mentions(v["sql"], w.name))
        views.append(GenView(v["name"], v["sql"], [], frozenset(v["features"]), v["ordered"], deps, v["create_at"]))
    return Case(rec["seed"], rec["ddl"], [], views, rec["domains"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=200, help="stop after this many generated views")
    ap.add_argument("--seed", type=int, default=0, help="seed of the first case (case i uses seed+i)")
    ap.add_argument("--steps", type=int, help="steps per change stream (default: the harness's 6)")
    ap.add_argument("--case", type=int, help="run this one case and print everything about it")
    ap.add_argument("--no-shrink", action="store_true", help="report failures without shrinking them")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per harness run")
    ap.add_argument("--jsonl", help="append one JSON object per view to this file")
    ap.add_argument("--reports", help="append the full report of each bug to this file")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    ap.add_argument("--replay", help="re-run (and reduce) the bugs recorded in a --jsonl file")
    ap.add_argument("--summarize", nargs="+", metavar="JSONL", help="print the statistics of earlier --jsonl runs")
    ap.add_argument("--avoid", default="", help="comma-separated features not to generate, e.g. "
                    "order:setop,agg:median_decimal ('sub:*' for a whole group)")
    args = ap.parse_args(argv)
    avoid = frozenset(a.strip() for a in args.avoid.split(",") if a.strip())

    if args.summarize:
        stats = Stats()
        for path in args.summarize:
            with open(path) as f:
                records = [json.loads(line) for line in f]
            by_case: dict = {}
            for rec in records:
                by_case.setdefault((path, rec["seed"]), []).append(rec)
            for recs in by_case.values():
                views = [ViewResult(r["seed"], r["view"], r["sql"], frozenset(r["features"]), r["status"], r["message"],
                                    r["kind"]) for r in recs]
                stats.add(CaseResult(None, views, recs[0]["seconds"]))
        print(stats.summary())
        return 0

    if args.replay:
        bad = 0
        with open(args.replay) as f:
            records = [json.loads(line) for line in f]
        for rec in records:
            if rec.get("status") not in BUG_STATUSES or "case" not in rec:
                continue
            case = case_from_record(rec["case"])
            res = run_case(case, steps=args.steps, shrink=not args.no_shrink, timeout=args.timeout)
            for r in res.views:
                if r.view == rec["view"]:
                    print(f"==== {r.line()}\n{r.report or r.message}\n", flush=True)
                    bad += r.status in BUG_STATUSES
        return 1 if bad else 0

    if args.case is not None:
        case = gen_case(args.case, avoid=avoid)
        print(case.ddl + ";")
        for v in case.views:
            print(f"CREATE VIEW {v.name} AS {v.sql};")
        res = run_case(case, steps=args.steps, shrink=not args.no_shrink, timeout=args.timeout)
        for r in res.views:
            print(r.line())
            if r.status in BUG_STATUSES:
                print(r.report or r.message)
        return 1 if any(r.status in BUG_STATUSES for r in res.views) else 0

    stats = Stats()
    seed, views = args.seed, 0
    out = open(args.jsonl, "a") if args.jsonl else None  # noqa: SIM115 - closed in the finally below
    rep = open(args.reports, "a") if args.reports else None  # noqa: SIM115
    try:
        while views < args.queries:
            res = run_case(seed, steps=args.steps, shrink=not args.no_shrink, timeout=args.timeout, avoid=avoid)
            stats.add(res)
            views += len(res.views)
            for r in res.views:
                if out:
                    rec = {"seed": r.case, "view": r.view, "status": r.status, "kind": r.kind,
                           "message": r.message[:2000], "features": sorted(r.features), "sql": r.sql,
                           "seconds": round(res.seconds, 3)}
                    if r.status in BUG_STATUSES:  # enough to replay it without the generator
                        rec["case"] = case_record(res.case)
                    out.write(json.dumps(rec) + "\n")
                if r.status in BUG_STATUSES:
                    if not args.quiet:
                        print("BUG " + r.line(), flush=True)
                    if rep:
                        rep.write(f"==== seed {r.case} view {r.view}: {r.status} {r.kind}\n{r.sql}\n"
                                  f"{r.report or r.message}\n\n")
                        rep.flush()
            if out:
                out.flush()
            if not args.quiet and stats.cases % 50 == 0:
                s = stats.status
                print(f"[{stats.cases} cases, {views} views, {stats.seconds:.0f}s] ok {s['ok']} "
                      f"unsupported {s['unsupported']} discarded {s['discarded']} bugs {len(stats.bugs)}",
                      flush=True)
            seed += 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        if out:
            out.close()
        if rep:
            rep.close()
    print(stats.summary())
    return 1 if stats.bugs else 0


if __name__ == "__main__":
    sys.exit(main())
