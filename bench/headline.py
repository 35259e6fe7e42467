"""The headline figures in CPU time, deltasql alone (no DuckDB, so any interpreter with sqlglot runs it):
a one-row change and a bulk load through join + GROUP BY, bulk filter + project, a single-edge change
and the build of a transitive closure, and the state per input row.  It is what `python -m bench
--compare REV` runs for two commits and `--pythons` for each interpreter, in interleaved rounds.

``python -m bench.headline [--quick|--smoke] [--json]``: prints the figures (one JSON object with
``--json``, for the comparing parent process)."""

from __future__ import annotations

import json
import platform
import sys
import tracemalloc

from . import data
from .common import Timings, clock, fmt_rate, fmt_us, fresh_gc, since, summary

SIZES = {"full": dict(orders=200_000, changes=2_000, bulk=200_000, state=50_000),
         "quick": dict(orders=50_000, changes=600, bulk=50_000, state=20_000),
         "smoke": dict(orders=2_000, changes=40, bulk=2_000, state=1_000)}
WARMUP = 20
CLOSURE_GRAPH = (2000, 1800, 7)  # nodes, edges, seed: an 11,349-row closure (bench.recursion's small graph)

# metric -> (what it is, unit, whether higher is better)
METRICS = {
    "change_join_group_us": ("one-row change, join_group", "µs", False),
    "bulk_join_group": ("bulk join_group, batch 10,000", "rows/s", True),
    "bulk_filter_project": ("bulk filter_project, batch 10,000", "rows/s", True),
    "closure_change_us": ("closure, single-edge change", "µs", False),
    "closure_build_s": ("closure build, 1,800 edges", "s", False),
    "state_join_group_bytes": ("state of join_group per input row", "B", False),
}


def loaded_join_group(n: int):
    nc = data.n_customers(n)
    gen = data.Orders(nc)
    p = data.pipeline_with(data.LATENCY_VIEWS, ["join_group"])
    p.insert("regions", data.regions())
    p.insert("customers", data.customers(nc))
    p.step()
    orders = gen.make(n)
    for i in range(0, n, 50_000):
        p.insert("orders", orders[i:i + 50_000])
        p.step()
    return p, gen, orders


def change_join_group(n: int, changes: int) -> float:
    """Median CPU µs of one-row changes (insert a new order, delete a random live one) + step."""
    from .latency import change_script

    p, gen, orders = loaded_join_group(n)
    script = change_script(gen, orders, changes)
    times = Timings()
    fresh_gc()
    for kind, row in script:
        t = clock()
        (p.insert if kind == "insert" else p.delete)("orders", [row])
        p.step()
        times.add(since(t))
    return summary(times[WARMUP:])["cpu_median_us"]


def bulk(view: str, n: int, batch: int = 10_000) -> float:
    """Rows per CPU second streamed into ``view`` in steps of ``batch`` rows."""
    nc = data.n_customers(n)
    p = data.pipeline_with(data.THROUGHPUT_VIEWS, [view])
    p.insert("regions", data.regions())
    p.insert("customers", data.customers(nc))
    p.step()
    orders = data.Orders(nc).make(n)
    fresh_gc()
    t = clock()
    for i in range(0, n, batch):
        p.insert("orders", orders[i:i + batch])
        p.step()
    return n / max(since(t)[1], 1e-9)


def closure() -> tuple[float, float]:
    """(CPU seconds to build the closure in one step, median CPU µs of a single-edge change)."""
    from .recursion import apply_ours, change_script, pipeline, random_graph

    n, m, seed = CLOSURE_GRAPH
    edges = random_graph(n, m, seed)
    p = pipeline("closure")
    fresh_gc()
    t = clock()
    p.insert("edges", edges)
    p.step()
    build = since(t)[1]
    times = Timings()
    for kind, x in change_script(edges, n, 200):
        t = clock()
        apply_ours(p, kind, x)
        times.add(since(t))
    return build, summary(times)["cpu_median_us"]


def state_bytes(n: int) -> float:
    """Traced Python memory of a loaded join_group pipeline per live input row (bench.memory's method)."""
    fresh_gc()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        p, _, orders = loaded_join_group(n)
        live = data.N_REGIONS + data.n_customers(n) + n
        del orders
        p.step()
        fresh_gc()
        return (tracemalloc.get_traced_memory()[0] - base) / live
    finally:
        tracemalloc.stop()


def run(mode: str) -> dict:
    z = SIZES[mode]
    build, change = closure()
    return {"change_join_group_us": change_join_group(z["orders"], z["changes"]),
            "bulk_join_group": bulk("join_group", z["bulk"]),
            "bulk_filter_project": bulk("filter_project", z["bulk"]),
            "closure_change_us": change, "closure_build_s": build,
            "state_join_group_bytes": state_bytes(z["state"])}


def fmt(metric: str, v: float | None) -> str:
    if v is None:
        return "-"
    unit = METRICS[metric][1]
    if unit == "µs":
        return fmt_us(v)
    if unit == "rows/s":
        return fmt_rate(v)
    if unit == "s":
        return f"{v:.3f} s"
    return f"{v:.0f} {unit}"


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true")
    g.add_argument("--smoke", action="store_true")
    ap.add_argument("--json", action="store_true", help="print one JSON object (figures and where they came from)")
    args = ap.parse_args(argv)
    mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    import deltasql

    figures = run(mode)
    if args.json:
        print(json.dumps({"figures": figures, "deltasql": deltasql.__file__, "python": platform.python_version(),
                          "implementation": platform.python_implementation()}))
    else:
        for k, v in figures.items():
            print(f"{METRICS[k][0]:<40} {fmt(k, v)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
