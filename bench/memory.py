"""Workload 4: bytes of state per live input row (tracemalloc) for the workload-1 views, and flatness under churn.

Where the bytes go (``where``): the containers each part holds — the tables' key indexes and row
dicts, the memos of their shared values (engine/table_values.py), each operator's state (arrangements, groups, the view's rows) — summed by ``sys.getsizeof``
over dicts, lists and sets only, never the rows and values in them; the rest of the traced state is
the rows and their values themselves (held once, whoever refers to them).
"""

from __future__ import annotations

import gc
import sys
import tracemalloc

from . import data
from .common import duck_load, fresh_gc, main_for, table

SIZES = {"full": 100_000, "quick": 20_000, "smoke": 2_000}
CHURN_STEPS = {"full": 10_000, "quick": 2_000, "smoke": 200}
CHURN_ROWS = 10  # rows inserted then deleted by each pair of churn steps
SAMPLES = 20  # memory samples over the churn


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def raw_bytes(n: int) -> int:
    """What the input itself costs held once as Python tuples (the floor for any Python engine that
    keeps its base tables)."""
    fresh_gc()
    tracemalloc.start()
    try:
        base = traced()
        nc = data.n_customers(n)
        rows = (data.regions(), data.customers(nc), data.Orders(nc).make(n))
        return traced() - base
    finally:
        del rows
        tracemalloc.stop()


def measure(view: str, n: int, churn_steps: int) -> dict:
    fresh_gc()
    p = data.pipeline_with(data.LATENCY_VIEWS, [view])
    tracemalloc.start()
    try:
        base = traced()
        nc = data.n_customers(n)
        gen = data.Orders(nc)
        regions, customers, orders = data.regions(), data.customers(nc), gen.make(n)
        p.insert("regions", regions)
        p.insert("customers", customers)
        p.step()
        for i in range(0, n, 50_000):
            p.insert("orders", orders[i:i + 50_000])
            p.step()
        live = len(regions) + len(customers) + len(orders)
        del regions, customers, orders
        p.step()  # an empty step, so the last load step's deltas are not counted as state
        state = traced() - base
        churn = gen.make(CHURN_ROWS, any_customer=True)
        for _ in range(2):  # the first churn pair allocates what every later one reuses
            p.insert("orders", churn)
            p.step()
            p.delete("orders", churn)
            p.step()
        samples = [(0, traced())]
        every = max(2, churn_steps // SAMPLES // 2 * 2)
        for step in range(0, churn_steps, 2):
            p.insert("orders", churn)
            p.step()
            p.delete("orders", churn)
            p.step()
            if (step + 2) % every == 0:
                samples.append((step + 2, traced()))
        view_rows = len(p.view(view))
        parts = where(p)
    finally:
        tracemalloc.stop()
    first, last = samples[0][1], samples[-1][1]
    peak = max(b for _, b in samples)
    return {"live_rows": live, "view_rows": view_rows, "state_bytes": state, "bytes_per_row": round(state / live, 1),
            "churn_steps": churn_steps, "churn_growth_bytes": last - first, "churn_peak_over_start": peak - first,
            "churn_samples": samples,
            "where": {**{k: round(v / live, 1) for k, v in parts.items()},
                      "rows and values": round((state - sum(parts.values())) / live, 1)}}


_CONTAINERS = (dict, list, set, frozenset)


def containers(obj) -> int:
    """Bytes of the dicts, lists and sets reachable from ``obj`` through containers (not the rows,
    values or objects they hold)."""
    total, stack, seen = 0, [obj], set()
    while stack:
        o = stack.pop()
        if type(o) not in _CONTAINERS or id(o) in seen:
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            stack.extend(o.values())
        else:
            stack.extend(o)
    return total


def where(p) -> dict:
    """Bytes of containers per part of a pipeline's state: its tables' key indexes and row dicts,
    and each kind of operator's state (its ``state`` attributes, an Arrange's index)."""
    out = {"table key indexes and row dicts": sum(containers(t.indexes) + containers(t.plain_rows)
                                                  for t in p._tables.values()),
           "table value memos": sum(containers(t.shared.memos) for t in p._tables.values())}
    for op in p.circuit.ops:
        held = sum(containers(v.index if hasattr(v, "index") and not isinstance(v, dict) else v)
                   for v in (getattr(op, a, None) for a in op.state))
        if held:
            kind = type(op).__name__
            out[kind] = out.get(kind, 0) + held
    return out


def duckdb_bytes(n: int) -> int:
    """DuckDB's own memory for the same base tables (it keeps no view state: it recomputes)."""
    con = data.duck_with_schema()
    nc = data.n_customers(n)
    duck_load(con, "regions", data.regions())
    duck_load(con, "customers", data.customers(nc))
    duck_load(con, "orders", data.Orders(nc).make(n))
    used = con.execute("SELECT SUM(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
    con.close()
    return int(used)


def run(mode: str) -> dict:
    n = SIZES[mode]
    nc = data.n_customers(n)
    live = n + nc + data.N_REGIONS
    raw = raw_bytes(n)
    duck = duckdb_bytes(n)
    res = {"orders": n, "live_rows": live, "raw_bytes_per_row": round(raw / live, 1),
           "duckdb_bytes_per_row": round(duck / live, 1), "views": {}}
    print(f"  input held once as Python tuples: {raw / live:.0f} B/row; DuckDB tables: {duck / live:.0f} B/row",
          flush=True)
    for view in data.LATENCY_VIEWS:
        r = res["views"][view] = measure(view, n, CHURN_STEPS[mode])
        r["ratio_to_raw"] = round(r["state_bytes"] / raw, 2)
        print(f"  {view:<16} {r['bytes_per_row']:8.0f} B/live row ({r['ratio_to_raw']}× the raw rows); "
              f"after {r['churn_steps']:,} churn steps: {r['churn_growth_bytes']:+,} B "
              f"(peak +{r['churn_peak_over_start']:,} B)", flush=True)
    print(render_text(res))
    return res


def render_text(res: dict) -> str:
    rows = []
    for view, r in res["views"].items():
        rows.append([view, f"{r['live_rows']:,}", f"{r['state_bytes'] / 2**20:.1f} MiB", f"{r['bytes_per_row']:.0f}",
                     f"{r['ratio_to_raw']}×", f"{res['duckdb_bytes_per_row']:.0f}", f"{r['churn_steps']:,}",
                     f"{r['churn_growth_bytes']:+,} B", f"{r['churn_peak_over_start']:+,} B"])
    return table(["view", "live input rows", "deltasql state", "bytes/row", "vs rows as tuples",
                  "DuckDB tables bytes/row", "churn steps", "growth after churn", "peak during churn"], rows) + \
        "\n\nWhere the bytes per live input row go (containers by `sys.getsizeof`; the rest is the rows and " \
        "their values, held once):\n\n" + table(
            ["view", "part", "B/row"], [[view, part, f"{b:.0f}"] for view, r in res["views"].items()
                                        for part, b in r.get("where", {}).items() if b >= 0.5])


def main(argv=None):
    return main_for("memory", run, __doc__, argv)


if __name__ == "__main__":
    main()
