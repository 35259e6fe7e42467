"""Run every workload (each in its own process), then render BENCHMARKS.md and the plots: `python -m bench`."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from .common import ROOT, results_path

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
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    g.add_argument("--smoke", action="store_true", help="tiny sizes, only to check the code runs")
    ap.add_argument("--only", help=f"comma-separated subset of: {', '.join(WORKLOADS)}")
    ap.add_argument("--no-render", action="store_true", help="do not write BENCHMARKS.md and the plots")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
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
        from . import report

        if mode == "full":
            report.render(out, os.path.join(ROOT, "BENCHMARKS.md"), os.path.join(ROOT, "bench"))
        else:
            d = os.path.dirname(out)
            report.render(out, os.path.join(d, f"BENCHMARKS-{mode}.md"), d)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
