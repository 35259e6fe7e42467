"""Workload 2: bulk throughput (rows/s) of loading orders through views, by batch size, vs DuckDB."""

from __future__ import annotations

from . import data
from .common import (
    Load,
    clock,
    duck_load,
    duck_recompute,
    fmt_rate,
    fresh_gc,
    main_for,
    ratio,
    since,
    table,
)

BATCHES = [1, 100, 10_000]
# rows streamed per batch size (batch 1 is a bounded number of steps)
ROWS = {"full": {1: 5_000, 100: 100_000, 10_000: 200_000},
        "quick": {1: 1_000, 100: 20_000, 10_000: 50_000},
        "smoke": {1: 50, 100: 500, 10_000: 2_000}}
# DuckDB recomputes the view after every batch: time-boxed, it runs the same batches until the budget
DUCK_BUDGET_S = {"full": 15.0, "quick": 4.0, "smoke": 0.5}
N_CUSTOMERS = {"full": 20_000, "quick": 5_000, "smoke": 200}
REPEATS = {"full": 3, "quick": 1, "smoke": 1}  # deltasql runs per cell; the median is reported
GOALS = {"filter_project": 1_000_000, "join_group": 300_000}


def run_deltasql(view: str, regions, customers, orders, batch: int) -> dict:
    p = data.pipeline_with(data.THROUGHPUT_VIEWS, [view])
    p.insert("regions", regions)
    p.insert("customers", customers)
    p.step()
    fresh_gc()
    t = clock()
    for i in range(0, len(orders), batch):
        p.insert("orders", orders[i:i + batch])
        p.step()
    secs, cpu = since(t)
    return {"rows": len(orders), "seconds": round(secs, 3), "rows_per_s": round(len(orders) / secs),
            "cpu_seconds": round(cpu, 3), "cpu_rows_per_s": round(len(orders) / max(cpu, 1e-9)),
            "view_rows": len(p.view(view))}


def run_duckdb(con, query: str, n_rows: int, batch: int, budget: float) -> dict:
    """Insert the same batches (from a staging table, so Python conversion is not timed) and rerun
    the view after each, until the rows or the time budget run out."""
    con.execute("DELETE FROM orders")
    done, t = 0, clock()
    while done < n_rows and since(t)[1] < budget:
        hi = min(done + batch, n_rows)
        con.execute("INSERT INTO orders SELECT * FROM orders_staged WHERE o_id >= ? AND o_id < ?", (done, hi))
        duck_recompute(con, query)
        done = hi
    secs, cpu = since(t)
    return {"rows": done, "seconds": round(secs, 3), "rows_per_s": round(done / secs),
            "cpu_seconds": round(cpu, 3), "cpu_rows_per_s": round(done / max(cpu, 1e-9))}


def run_duckdb_bulk(con, query: str, n_rows: int) -> dict:
    """DuckDB's best case, a batch engine's natural mode: insert everything at once, query once."""
    con.execute("DELETE FROM orders")
    t = clock()
    con.execute("INSERT INTO orders SELECT * FROM orders_staged WHERE o_id < ?", (n_rows,))
    duck_recompute(con, query)
    secs, cpu = since(t)
    return {"rows": n_rows, "seconds": round(secs, 4), "rows_per_s": round(n_rows / secs),
            "cpu_seconds": round(cpu, 4), "cpu_rows_per_s": round(n_rows / max(cpu, 1e-9))}


def run(mode: str) -> dict:
    nc = N_CUSTOMERS[mode]
    regions, customers = data.regions(), data.customers(nc)
    orders = data.Orders(nc).make(max(ROWS[mode].values()))
    con = data.duck_with_schema()
    con.execute("CREATE TABLE orders_staged AS SELECT * FROM orders")
    duck_load(con, "regions", regions)
    duck_load(con, "customers", customers)
    duck_load(con, "orders_staged", orders)
    res = {"views": {v: q.strip() for v, q in data.THROUGHPUT_VIEWS.items()}, "customers": nc,
           "batches": BATCHES, "goals": GOALS, "results": {}}
    for view, query in data.THROUGHPUT_VIEWS.items():
        per = res["results"][view] = {}
        for batch in BATCHES:
            n = ROWS[mode][batch]
            load = Load()
            runs = sorted((run_deltasql(view, regions, customers, orders[:n], batch) for _ in range(REPEATS[mode])),
                          key=lambda r: r["cpu_rows_per_s"])
            ours = runs[len(runs) // 2]
            theirs = run_duckdb(con, query, n, batch, DUCK_BUDGET_S[mode])
            bulk = run_duckdb_bulk(con, query, n)
            per[str(batch)] = {"deltasql": ours, "duckdb": theirs, "duckdb_bulk": bulk,
                               "ratio": ratio(ours["rows_per_s"], theirs["rows_per_s"]),
                               "ratio_cpu": ratio(ours["cpu_rows_per_s"], theirs["cpu_rows_per_s"]),
                               "load": load.read(),
                               "ratio_bulk": round(ours["rows_per_s"] / bulk["rows_per_s"], 3)}
            print(f"  {view:<15} batch {batch:>6,}: deltasql {fmt_rate(ours['rows_per_s']):>10} "
                  f"(CPU {fmt_rate(ours['cpu_rows_per_s']):>10}) "
                  f"({n:,} rows)  duckdb recompute-per-batch {fmt_rate(theirs['rows_per_s']):>10} "
                  f"({theirs['rows']:,} rows)  x{per[str(batch)]['ratio']}  "
                  f"duckdb bulk {fmt_rate(bulk['rows_per_s'])}  (others {per[str(batch)]['load'].get('others_cores')} "
                  "cores)", flush=True)
    con.close()
    print(render_text(res))
    return res


def rate(r: dict) -> float:
    """Rows/s by CPU time (by wall time in older results that have no CPU figure)."""
    return r.get("cpu_rows_per_s", r["rows_per_s"])


def render_text(res: dict) -> str:
    rows = []
    for view, per in res["results"].items():
        for batch, r in per.items():
            goal = res["goals"].get(view)
            rows.append([view, f"{int(batch):,}", fmt_rate(rate(r["deltasql"])), fmt_rate(r["deltasql"]["rows_per_s"]),
                         fmt_rate(rate(r["duckdb"])), f"{r.get('ratio_cpu', r['ratio'])}×",
                         fmt_rate(rate(r["duckdb_bulk"])), r.get("load", {}).get("others_cores", "-"),
                         (f"{fmt_rate(goal)} {'met' if rate(r['deltasql']) >= goal else 'not met'}"
                          if goal and int(batch) == max(res["batches"]) else "")])
    return table(["view", "batch", "deltasql (CPU)", "deltasql (wall)", "DuckDB (recompute per batch, CPU)",
                  "ratio (CPU)", "DuckDB bulk (1 insert + 1 query, CPU)", "others' cores", "goal"], rows)


def main(argv=None):
    return main_for("throughput", run, __doc__, argv)


if __name__ == "__main__":
    main()
