"""Workload 1: per-change latency of one-row inserts/deletes vs DuckDB applying the change and recomputing."""

from __future__ import annotations

import os

from . import data
from .common import (
    DUCKDB_THREADS,
    Load,
    Timings,
    clock,
    cpu_or_wall,
    duck_load,
    duck_recompute,
    fmt_us,
    fresh_gc,
    main_for,
       ratio,
    since,
    summary,
    table,
)

SIZES = {"full": [10_000, 100_000, 200_000, 1_000_000], "quick": [10_000, 100_000], "smoke": [1_000, 3_000]}
OPS = {"full": 2000, "quick": 600, "smoke": 40}  # one-row changes timed per view for deltasql
DUCK_OPS = {"full": 300, "quick": 100, "smoke": 20}  # a prefix of the same changes for DuckDB
LOAD_BATCH = 50_000
WARMUP = {"full": 20, "quick": 20, "smoke": 4}  # first changes of each run, not counted


def change_script(orders_gen: data.Orders, live: list, n_ops: int, seed: int = 3) -> list:
    """Alternating one-row changes: insert a new order (any customer), delete a random live order."""
    import random

    rnd = random.Random(seed)
    live = list(live)
    out = []
    for i in range(n_ops):
        if i % 2 == 0:
            row = orders_gen.make(1, any_customer=True)[0]
            live.append(row)
            out.append(("insert", row))
        else:
            j = rnd.randrange(len(live))
            row = live[j]
            live[j] = live[-1]
            live.pop()
            out.append(("delete", row))
    return out


def load_pipeline(view: str, regions, customers, orders) -> tuple:
    """A pipeline with one view and the base data, loaded in large batches; returns (p, (wall, CPU)
    seconds spent loading, not counting the view's compilation)."""
    fresh_gc()
    p = data.pipeline_with(data.LATENCY_VIEWS, [view])
    t = clock()
    p.insert("regions", regions)
    p.insert("customers", customers)
    p.step()
    for i in range(0, len(orders), LOAD_BATCH):
        p.insert("orders", orders[i:i + LOAD_BATCH])
        p.step()
    return p, since(t)


def run_deltasql(p, script) -> dict:
    times = {"insert": Timings(), "delete": Timings()}
    fresh_gc()
    for kind, row in script:
        t = clock()
        if kind == "insert":
            p.insert("orders", [row])
        else:
            p.delete("orders", [row])
        p.step()
        times[kind].add(since(t))
    return times


def run_duckdb(con, query: str, script) -> dict:
    times = {"insert": Timings(), "delete": Timings()}
    for kind, row in script:
        t = clock()
        if kind == "insert":
            con.execute("INSERT INTO orders VALUES (?, ?, ?, ?)", row)
        else:
            con.execute("DELETE FROM orders WHERE o_id = ?", (row[0],))
        duck_recompute(con, query)
        times[kind].add(since(t))
    # undo the script so the next view starts from the same tables
    ins = [row[0] for kind, row in script if kind == "insert"]
    dels = [row for kind, row in script if kind == "delete" and row[0] not in set(ins)]
    if ins:
        con.execute(f"DELETE FROM orders WHERE o_id IN ({', '.join(map(str, ins))})")
    if dels:
        con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", dels)
    return times


def stats(times: dict, warmup: int) -> dict:
    both = Timings()
    # interleave back to script order, then drop the warm-up changes
    for i in range(min(len(times["insert"]), len(times["delete"]))):
        both.add((times["insert"].wall[i], times["insert"].cpu[i]))
        both.add((times["delete"].wall[i], times["delete"].cpu[i]))
    both = both[warmup:]
    return {"all": summary(both), "insert": summary(times["insert"][warmup // 2:]),
            "delete": summary(times["delete"][warmup // 2:])}


def run(mode: str) -> dict:
    nthreads = os.cpu_count() or 1
    results = {"sizes": [], "views": {v: q.strip() for v, q in data.LATENCY_VIEWS.items()},
               "duckdb_threads": DUCKDB_THREADS, "duckdb_threads_multi": nthreads}
    for n in SIZES[mode]:
        nc = data.n_customers(n)
        regions, customers = data.regions(), data.customers(nc)
        gen = data.Orders(nc)
        orders = gen.make(n)
        script = change_script(gen, orders, OPS[mode])
        duck_script = script[:DUCK_OPS[mode]]
        con = data.duck_with_schema()
        duck_load_s = duck_load(con, "regions", regions) + duck_load(con, "customers", customers) + \
            duck_load(con, "orders", orders)
        row = {"orders": n, "customers": nc, "duckdb_load_s": round(duck_load_s, 3), "views": {}}
        for view, query in data.LATENCY_VIEWS.items():
            load = Load()
            p, (load_s, load_cpu_s) = load_pipeline(view, regions, customers, orders)
            ours = stats(run_deltasql(p, script), WARMUP[mode])
            n_rows = len(p.view(view))
            del p
            fresh_gc()
            con.execute(f"SET threads={DUCKDB_THREADS}")
            theirs = stats(run_duckdb(con, query, duck_script), WARMUP[mode])
            con.execute(f"SET threads={nthreads}")
            multi = stats(run_duckdb(con, query, duck_script[:max(DUCK_OPS[mode] // 3, 10)]), WARMUP[mode] // 2)
            con.execute(f"SET threads={DUCKDB_THREADS}")
            r = {"load_s": round(load_s, 2), "load_rows_per_s": round((n + nc) / load_s),
                 "load_cpu_s": round(load_cpu_s, 2), "view_rows": n_rows,
                 "deltasql": ours, "duckdb": theirs, "duckdb_multi": multi,
                 "ratio_median": ratio(theirs["all"]["median_us"], ours["all"]["median_us"]),
                 "ratio_cpu_median": ratio(cpu_or_wall(theirs["all"]), cpu_or_wall(ours["all"])),
                 "ratio_p99": ratio(theirs["all"]["p99_us"], ours["all"]["p99_us"]),
                 "ratio_median_multi": ratio(multi["all"]["median_us"], ours["all"]["median_us"])}
            r["load"] = load.read()
            row["views"][view] = r
            print(f"  {n:>9,} orders  {view:<10} deltasql {fmt_us(ours['all']['median_us']):>8} "
                  f"(CPU {fmt_us(ours['all']['cpu_median_us']):>8}) "
                  f"(p99 {fmt_us(ours['all']['p99_us']):>8})  duckdb {fmt_us(theirs['all']['median_us']):>8} "
                  f"(p99 {fmt_us(theirs['all']['p99_us']):>8})  x{r['ratio_median']:<7} "
                  f"[duckdb {nthreads}T x{r['ratio_median_multi']}]  CPU x{r['ratio_cpu_median']}  load {load_s:.1f} s  "
                  f"(others {r['load'].get('others_cores')} cores)", flush=True)
        con.close()
        results["sizes"].append(row)
    print(render_text(results))
    return results


def render_text(res: dict) -> str:
    rows = []
    for size in res["sizes"]:
        for view, r in size["views"].items():
            d, k = r["deltasql"]["all"], r["duckdb"]["all"]
            rows.append([f"{size['orders']:,}", view, fmt_us(d.get("cpu_median_us", float("nan"))),
                         fmt_us(d["median_us"]), fmt_us(d["p99_us"]), fmt_us(k.get("cpu_median_us", float("nan"))),
                         fmt_us(k["median_us"]), f"{r.get('ratio_cpu_median', '-')}×", f"{r['ratio_median']}×",
                         f"{r['ratio_median_multi']}×", r.get("load", {}).get("others_cores", "-"),
                         f"{r.get('load_cpu_s', '-')} s CPU ({r['load_s']} s wall)"])
    multi = res.get("duckdb_threads_multi", "N")
    return table(["orders", "view", "deltasql CPU median", "wall median", "wall p99", "DuckDB CPU median",
                  "wall median", "ratio (CPU)", "ratio (wall)", f"ratio (wall) vs DuckDB {multi} threads",
                  "others' cores", "deltasql load"], rows)


def main(argv=None):
    return main_for("latency", run, __doc__, argv)


if __name__ == "__main__":
    main()
