"""Run every workload (each in its own process), then render BENCHMARKS.md and the plots: `python -m bench`.

`python -m bench --compare REV` instead runs the headline figures (bench/headline.py) of commit REV and of
this tree side by side, in interleaved rounds; `python -m bench --pythons` runs them on every CPython
3.11+ it finds.  Either stores its section in the results and re-renders BENCHMARKS.md."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from .common import ROOT, results_path, save_section

WORKLOADS = {  # results-section name -> module
    "latency": "bench.latency",
    "throughput": "bench.throughput",
    "recursion": "bench.recursion",
    "memory": "bench.memory",
    "compile": "bench.compile_time",
    "tpch": "bench.tpch",
    "runtime": "bench.runtime_ops",
    "nexmark": "bench.nexmark_run",
    "sinks": "bench.sinks",
    "durability": "bench.durability",
    "cliffs": "bench.cliffs",
    "profile": "bench.profile",
    "shards": "bench.shards",
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    g.add_argument("--smoke", action="store_true", help="tiny sizes, only to check the code runs")
    ap.add_argument("--only", help=f"comma-separated subset of: {', '.join(WORKLOADS)}")
    ap.add_argument("--no-render", action="store_true", help="do not write BENCHMARKS.md and the plots")
    ap.add_argument("--compare", metavar="REV", help="headline figures of commit REV and of this tree, side by side")
    ap.add_argument("--pythons", action="store_true", help="headline figures on every CPython 3.11+ found")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds per side (--compare, --pythons)")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    if args.compare or args.pythons:
        return sides_main(args, mode)
    names = args.only.split(",") if args.only else list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s): {', '.join(unknown)}")
    out = results_path(mode)
    failed = []
    t0 = time.perf_counter()
    for name in names:
        cmd = [sys.executable, "-m", WORKLOADS[name], "--out", out]
        if mode != "full":
            cmd.append(f"--{mode}")
        rc = subprocess.call(cmd, cwd=ROOT)
        if rc != 0:
            failed.append(name)
            print(f"!! {name} failed (exit {rc})", flush=True)
    print(f"== all workloads done in {time.perf_counter() - t0:.0f} s; results in {os.path.relpath(out, ROOT)}")
    if not args.no_render:
        render(out, mode)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def sides_main(args, mode: str) -> int:
    from . import sides

    out = results_path(mode)
    if args.compare:
        print(f"== compare {args.compare} with this tree ({mode}, {args.rounds} rounds) ==", flush=True)
        res = sides.compare(args.compare, mode, args.rounds)
        save_section(out, "compare", res)
        print(sides.render_compare(res))
    if args.pythons:
        print(f"== every CPython 3.11+ ({mode}, {args.rounds} rounds) ==", flush=True)
        res = sides.pythons(mode, args.rounds)
        save_section(out, "pythons", res)
        print(sides.render_pythons(res))
    if not args.no_render:
        render(out, mode)
    return 0


def render(out: str, mode: str) -> None:
    from . import report

    if mode == "full":
        report.render(out, os.path.join(ROOT, "BENCHMARKS.md"), os.path.join(ROOT, "bench"))
    else:
        d = os.path.dirname(out)
        report.render(out, os.path.join(d, f"BENCHMARKS-{mode}.md"), d)


if __name__ == "__main__":
    sys.exit(main())
