"""Workload 8: durable pipelines (Pipeline(path=...)) against in-memory ones and against DuckDB with a
file-backed database, on the orders ⋈ customers GROUP BY region view:

- one-row change latency with the state file in each durability mode ("full" syncs every step,
  "group" every 0.2 s) against in memory; DuckDB applies the change to its file and reruns the query;
- bulk-load overhead of the journal: the same 10,000-row batches in memory and in each mode;
- a checkpoint of the loaded pipeline: time (wall and CPU) and size, per million input rows;
- recovery from that checkpoint (reopening the file) against rebuilding from scratch (a new pipeline
  fed every input row again); DuckDB reopening its file and computing the view.

Wall time and CPU time (time.process_time: the Python process, DuckDB included as it runs in it)
are both recorded: the machine is shared, so CPU time is the steadier figure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from . import data
from .common import duck_load, fmt_us, fresh_gc, main_for, now, ratio, summary, table

SIZES = {"full": 1_000_000, "quick": 200_000, "smoke": 5_000}  # orders (customers: a tenth)
LATENCY_ORDERS = {"full": 100_000, "quick": 50_000, "smoke": 2_000}
OPS = {"full": 1000, "quick": 300, "smoke": 20}  # one-row changes per mode
DUCK_OPS = {"full": 200, "quick": 60, "smoke": 10}
BATCH = {"full": 10_000, "quick": 10_000, "smoke": 1_000}
MODES = ("memory", "group", "full")
VIEW = "join_group"
WARMUP = 10


def cpu() -> float:
    return time.process_time()


def new_pipeline(mode: str, directory: str, name: str):
    from deltasql import Pipeline

    if mode == "memory":
        p = Pipeline()
    else:
        # checkpoints only when asked: the journal's cost is measured apart from theirs
        p = Pipeline(path=os.path.join(directory, f"{name}-{mode}.db"), durability=mode,
                     checkpoint_every=10**9, checkpoint_interval=1e9)
    p.execute(data.SCHEMA)
    p.execute(f"CREATE VIEW {VIEW} AS {data.LATENCY_VIEWS[VIEW]}")
    return p


def load(p, customers, orders, batch: int) -> tuple[float, float]:
    """Insert the base rows in steps of ``batch`` rows; (wall s, CPU s)."""
    fresh_gc()
    t, c = now(), cpu()
    p.insert("regions", data.regions())
    p.insert("customers", customers)
    p.step()
    for i in range(0, len(orders), batch):
        p.insert("orders", orders[i:i + batch])
        p.step()
    return now() - t, cpu() - c


def one_row_changes(p, script) -> dict:
    wall, cpus = [], []
    fresh_gc()
    for kind, row in script:
        t, c = now(), cpu()
        if kind == "insert":
            p.insert("orders", [row])
        else:
            p.delete("orders", [row])
        p.step()
        wall.append(now() - t)
        cpus.append(cpu() - c)
    return {"wall": summary(wall[WARMUP:]), "cpu": summary(cpus[WARMUP:])}


def duck_file(directory: str, name: str):
    from .common import DUCKDB_THREADS
    import duckdb

    con = duckdb.connect(os.path.join(directory, f"{name}.duckdb"))
    con.execute(f"SET threads={DUCKDB_THREADS}")
    con.execute(data.SCHEMA)
    return con


def duck_recompute_durable(con, query: str) -> None:
    """The view's result kept in a table of the file, as a durable recomputed view would be."""
    con.execute(f"CREATE OR REPLACE TABLE view_result AS {query}")


def duck_changes(con, script) -> dict:
    query = data.LATENCY_VIEWS[VIEW]
    wall, cpus = [], []
    for kind, row in script:
        t, c = now(), cpu()
        if kind == "insert":
            con.execute("INSERT INTO orders VALUES (?, ?, ?, ?)", row)
        else:
            con.execute("DELETE FROM orders WHERE o_id = ?", (row[0],))
        duck_recompute_durable(con, query)
        wall.append(now() - t)
        cpus.append(cpu() - c)
    return {"wall": summary(wall[WARMUP // 2:]), "cpu": summary(cpus[WARMUP // 2:])}


def latency(mode: str, directory: str) -> dict:
    from .latency import change_script

    n = LATENCY_ORDERS[mode]
    nc = data.n_customers(n)
    customers = data.customers(nc)
    gen = data.Orders(nc)
    orders = gen.make(n)
    script = change_script(gen, orders, OPS[mode])
    out = {"orders": n, "changes": len(script), "modes": {}}
    for m in MODES:
        p = new_pipeline(m, directory, "latency")
        load(p, customers, orders, 50_000)
        out["modes"][m] = one_row_changes(p, script)
        p.close()
        del p
        fresh_gc()
        print(f"  latency {m:<6} median {fmt_us(out['modes'][m]['wall']['median_us']):>8} wall, "
              f"{fmt_us(out['modes'][m]['cpu']['median_us']):>8} CPU", flush=True)
    con = duck_file(directory, "latency")
    duck_load(con, "regions", data.regions())
    duck_load(con, "customers", customers)
    duck_load(con, "orders", orders)
    con.execute("CHECKPOINT")
    out["duckdb"] = duck_changes(con, script[:DUCK_OPS[mode]])
    con.close()
    print(f"  latency DuckDB (file) median {fmt_us(out['duckdb']['wall']['median_us'])}", flush=True)
    return out


def bulk_and_recovery(mode: str, directory: str) -> dict:
    n = SIZES[mode]
    nc = data.n_customers(n)
    customers = data.customers(nc)
    orders = data.Orders(nc).make(n)
    input_rows = n + nc + data.N_REGIONS
    per_million = 1e6 / input_rows
    out = {"orders": n, "input_rows": input_rows, "batch": BATCH[mode], "load": {}}
    kept = None
    for m in MODES:
        p = new_pipeline(m, directory, "bulk")
        wall, cpus = load(p, customers, orders, BATCH[mode])
        out["load"][m] = {"wall_s": round(wall, 3), "cpu_s": round(cpus, 3), "rows_per_s": round(input_rows / wall)}
        print(f"  bulk {m:<6} {wall:.2f} s wall, {cpus:.2f} s CPU", flush=True)
        if m == "group":
            kept = p  # its checkpoint and recovery are measured below
        else:
            p.close(checkpoint=False)
            del p
            fresh_gc()
    base = out["load"]["memory"]
    for m in ("group", "full"):
        r = out["load"][m]
        r["overhead_wall_pct"] = round(100 * (r["wall_s"] / base["wall_s"] - 1), 1)
        r["overhead_cpu_pct"] = round(100 * (r["cpu_s"] / base["cpu_s"] - 1), 1)

    # a checkpoint of the loaded pipeline, then recovery from it
    p = kept
    t, c = now(), cpu()
    p.checkpoint()
    cp_wall, cp_cpu = now() - t, cpu() - c
    size = p._store.checkpoint.size
    path = p.path
    p.close(checkpoint=False)
    del p, kept
    fresh_gc()
    out["checkpoint"] = {"wall_s": round(cp_wall, 3), "cpu_s": round(cp_cpu, 3), "bytes": size,
                         "file_bytes": os.path.getsize(path),
                         "wall_s_per_million": round(cp_wall * per_million, 3),
                         "cpu_s_per_million": round(cp_cpu * per_million, 3),
                         "mb_per_million": round(size * per_million / 1e6, 1)}
    print(f"  checkpoint {cp_wall:.2f} s wall, {cp_cpu:.2f} s CPU, {size / 1e6:.1f} MB", flush=True)

    from deltasql import Pipeline
    t, c = now(), cpu()
    q = Pipeline(path=path, durability="group")
    rec_wall, rec_cpu = now() - t, cpu() - c
    assert q.last_step == 1 + (n + BATCH[mode] - 1) // BATCH[mode]
    # the first step after recovery costs what any step does: one-row inserts, the first and the next
    steps = []
    for i in range(21):
        t = now()
        q.insert("orders", [(n + 1 + i, i, 5, "paid")])
        q.step()
        steps.append(now() - t)
    first_step, next_steps = steps[0], summary(steps[1:])["median_us"]
    q.close(checkpoint=False)
    del q
    fresh_gc()
    t, c = now(), cpu()
    r = new_pipeline("memory", directory, "rebuild")
    load(r, customers, orders, BATCH[mode])
    reb_wall, reb_cpu = now() - t, cpu() - c
    del r
    fresh_gc()
    out["recovery"] = {"wall_s": round(rec_wall, 3), "cpu_s": round(rec_cpu, 3),
                       "first_step_us": round(first_step * 1e6, 1), "next_steps_median_us": next_steps,
                       "rebuild_wall_s": round(reb_wall, 3), "rebuild_cpu_s": round(reb_cpu, 3),
                       "ratio_wall": ratio(reb_wall, rec_wall), "ratio_cpu": ratio(reb_cpu, rec_cpu)}
    print(f"  recovery {rec_wall:.2f} s wall, {rec_cpu:.2f} s CPU; rebuild {reb_wall:.2f} s wall, "
          f"{reb_cpu:.2f} s CPU", flush=True)

    # DuckDB with a file: bulk load (batches, the view recomputed after each), CHECKPOINT, reopen + view
    con = duck_file(directory, "bulk")
    t, c = now(), cpu()
    duck_load(con, "regions", data.regions())
    duck_load(con, "customers", customers)
    for i in range(0, n, BATCH[mode] * 10):  # DuckDB's COPY batches are 10x larger: its recompute dominates
        duck_load(con, "orders", orders[i:i + BATCH[mode] * 10])
        duck_recompute_durable(con, data.LATENCY_VIEWS[VIEW])
    d_load = (now() - t, cpu() - c)
    t, c = now(), cpu()
    con.execute("CHECKPOINT")
    d_cp = (now() - t, cpu() - c)
    con.close()
    dpath = os.path.join(directory, "bulk.duckdb")
    import duckdb
    t, c = now(), cpu()
    con = duckdb.connect(dpath)
    duck_recompute_durable(con, data.LATENCY_VIEWS[VIEW])
    d_open = (now() - t, cpu() - c)
    con.close()
    out["duckdb"] = {"load_wall_s": round(d_load[0], 3), "load_cpu_s": round(d_load[1], 3),
                     "load_batch": BATCH[mode] * 10,
                     "checkpoint_wall_s": round(d_cp[0], 3), "checkpoint_cpu_s": round(d_cp[1], 3),
                     "file_bytes": os.path.getsize(dpath),
                     "reopen_and_view_wall_s": round(d_open[0], 3), "reopen_and_view_cpu_s": round(d_open[1], 3)}
    return out


def run(mode: str) -> dict:
    directory = tempfile.mkdtemp(prefix="deltasql-bench-durability-", dir=os.environ.get("DELTASQL_BENCH_DIR"))
    try:
        res = {"view": " ".join(data.LATENCY_VIEWS[VIEW].split()), "latency": latency(mode, directory),
               "bulk": bulk_and_recovery(mode, directory)}
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(render_text(res))
    return res


def render_text(res: dict) -> str:
    lat = res["latency"]
    mem = lat["modes"]["memory"]["wall"]["median_us"]
    rows = []
    for m, r in lat["modes"].items():
        rows.append([m, fmt_us(r["wall"]["median_us"]), fmt_us(r["wall"]["p99_us"]), fmt_us(r["cpu"]["median_us"]),
                     f"{ratio(r['wall']['median_us'], mem)}×",
                     f"{ratio(lat['duckdb']['wall']['median_us'], r['wall']['median_us'])}×"])
    d = lat["duckdb"]
    rows.append(["DuckDB, file", fmt_us(d["wall"]["median_us"]), fmt_us(d["wall"]["p99_us"]),
                 fmt_us(d["cpu"]["median_us"]), f"{ratio(d['wall']['median_us'], mem)}×", "1×"])
    out = [f"One-row changes at {lat['orders']:,} orders ({lat['changes']} changes, alternating insert and "
           f"delete):", "",
           table(["mode", "median", "p99", "median CPU", "÷ in memory", "DuckDB ÷ this"], rows), ""]
    b = res["bulk"]
    rows = []
    for m, r in b["load"].items():
        rows.append([m, f"{r['wall_s']} s", f"{r['cpu_s']} s", f"{r['rows_per_s'] / 1000:.0f}k rows/s",
                     f"{r.get('overhead_wall_pct', 0):+}%", f"{r.get('overhead_cpu_pct', 0):+}%"])
    dk = b["duckdb"]
    rows.append([f"DuckDB, file (batches of {dk['load_batch']:,}, view rerun after each)", f"{dk['load_wall_s']} s",
                 f"{dk['load_cpu_s']} s", f"{b['input_rows'] / dk['load_wall_s'] / 1000:.0f}k rows/s", "", ""])
    out += [f"Bulk load of {b['input_rows']:,} input rows ({b['orders']:,} orders) in steps of {b['batch']:,}:", "",
            table(["mode", "wall", "CPU", "rate", "journal overhead (wall)", "(CPU)"], rows), ""]
    cp, rc = b["checkpoint"], b["recovery"]
    rows = [["deltasql checkpoint", f"{cp['wall_s']} s", f"{cp['cpu_s']} s", f"{cp['bytes'] / 1e6:.1f} MB",
             f"{cp['wall_s_per_million']} s, {cp['cpu_s_per_million']} s CPU, {cp['mb_per_million']} MB"],
            ["DuckDB CHECKPOINT", f"{dk['checkpoint_wall_s']} s", f"{dk['checkpoint_cpu_s']} s",
             f"{dk['file_bytes'] / 1e6:.1f} MB (file)", ""]]
    out += ["Checkpoint of the loaded pipeline (state file: "
            f"{cp['file_bytes'] / 1e6:.1f} MB):", "",
            table(["", "wall", "CPU", "size", "per million input rows"], rows), ""]
    rows = [["deltasql: reopen (recovery from the checkpoint)", f"{rc['wall_s']} s", f"{rc['cpu_s']} s"],
            ["deltasql: rebuild from scratch (a new pipeline fed every row again)", f"{rc['rebuild_wall_s']} s",
             f"{rc['rebuild_cpu_s']} s"],
            ["ratio", f"{rc['ratio_wall']}×", f"{rc['ratio_cpu']}×"],
            ["DuckDB: reopen its file and compute the view", f"{dk['reopen_and_view_wall_s']} s",
             f"{dk['reopen_and_view_cpu_s']} s"]]
    out += [f"Recovery at {b['input_rows']:,} input rows; the first one-row step after it took "
            f"{fmt_us(rc['first_step_us'])}, the next ones {fmt_us(rc['next_steps_median_us'])} (median, group "
            f"mode):", "", table(["", "wall", "CPU"], rows)]
    return "\n".join(out)


def main(argv=None):
    return main_for("durability", run, __doc__, argv)


if __name__ == "__main__":
    main()
