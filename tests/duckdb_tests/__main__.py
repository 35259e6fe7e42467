"""python -m tests.duckdb_tests PATH... [-j N] [--sample N] [--json F] [--report F] [-v]

Runs DuckDB's SQL test files (directories are searched for *.test) through deltasql and prints a
table per directory of test/sql/: accepted / equal / wrong / order / lenient / error / crashed /
refused / skipped queries, then the refusal reasons and every wrong query.  Exit status 1 if any
query is wrong or crashed.  With no PATH: the whole of ../shared/duckdb-tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from ..slt.runner import run_info
from .report import markdown, reasons, summary_line, table
from .runner import CORPUS, FileReport, collect, file_id, group_of, run_files, sample_files


def read_keys(path: str) -> dict[str, set]:
    """file id -> record keys, from lines 'test/sql/x.test:12[...]' (# starts a comment)."""
    out: dict[str, set] = {}
    with open(path) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words:
                fid, _, key = words[0].partition(".test:")
                out.setdefault(fid + ".test", set()).add(key)
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="python -m tests.duckdb_tests", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", help=".test files or directories (default: the whole corpus)")
    ap.add_argument("--jobs", "-j", type=int, default=1, help="files run in parallel processes")
    ap.add_argument("--sample", type=int, help="run about N files, drawn from every directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", help="run only the queries listed in this file (ids like test/sql/x.test:12)")
    ap.add_argument("--by-dir", action="store_true", help="one table row per directory, not per group")
    ap.add_argument("--json", help="write every outcome to this file")
    ap.add_argument("--load", help="instead of running, read a --json file written before")
    ap.add_argument("--report", help="write a markdown report here")
    ap.add_argument("--verbose", "-v", action="store_true", help="print each file's line and failures")
    args = ap.parse_args(argv)
    info = run_info(argv, "python -m tests.duckdb_tests")
    if args.load:
        with open(args.load) as f:
            saved = json.load(f)
        info, reports = saved["info"], [FileReport.from_json(d) for d in saved["files"]]
    else:
        files = collect(args.paths or [CORPUS])
        if args.sample:
            files = sample_files(files, args.sample, args.seed)
        if not files:
            print("no .test files found", file=sys.stderr)
            return 2
        only = read_keys(args.only) if args.only else None

        def progress(r: FileReport) -> None:
            if args.verbose:
                print(summary_line(r), flush=True)
                for o in r.outcomes:
                    if o.status in ("wrong", "crashed", "error"):
                        print(f"  {o.status.upper()} {o.qid}: {' '.join(o.sql.split())[:200]}\n    "
                              + o.detail.replace("\n", "\n    ")[:1500])
        t0 = time.perf_counter()
        reports = run_files(files, args.seed, args.jobs, only, progress=progress)
        info["seconds"] = round(time.perf_counter() - t0, 1)
    by = (lambda fid: fid.rsplit("/", 1)[0].split("test/sql/", 1)[-1]) if args.by_dir else group_of
    print(table(reports, by))
    print("\nrefusal reasons:")
    for cause, n, ex in reasons(reports, "refused")[:30]:
        print(f"  {n:>5}  {cause}   (e.g. {ex})")
    bad = [o for r in reports for o in r.outcomes if o.status in ("wrong", "crashed") and o.kind == "query"]
    for o in bad:
        print(f"\n{o.status.upper()} {o.qid}: {o.cause}\n  {' '.join(o.sql.split())[:300]}\n  "
              + o.detail.replace("\n", "\n  ")[:1200])
    if "seconds" in info:
        print(f"\n{len(reports)} files in {info['seconds']}s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "files": [r.to_json() for r in reports]}, f, indent=1)
    if args.report:
        with open(args.report, "w") as f:
            f.write(markdown(reports, info))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
