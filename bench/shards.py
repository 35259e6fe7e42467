"""Workload: sharding.  Bulk load of orders through the join + GROUP BY view on one worker (the
pipeline's own process), on one worker process, and on two worker processes, with DuckDB on the same
batches in the same run, two ways: rows handed to ``insert()`` from Python, and CSV files read by
``COPY orders FROM 'file.csv'`` at each size of COPY_FILES (on workers, each worker parses a range of the
file in the COPY's step: engine/copy_from.py, engine/shards/staging.py);
the one-row step's latency on each; the rows and bytes the workers exchange per step; a scaling model
fitted to these figures (``model``).  Wall time, CPU time of every process
(coordinator and workers) and the cores other processes kept busy are recorded together: on a shared
machine wall time alone says little."""

from __future__ import annotations

import csv
import os
import shutil
import statistics
import tempfile
import time

from . import data
from .common import Load, duck_load, duck_recompute, fmt_rate, fmt_us, fresh_gc, main_for, now, table

VIEW = "join_group"
ROWS = {"full": 200_000, "quick": 60_000, "smoke": 2_000}
BATCH = {"full": 10_000, "quick": 10_000, "smoke": 500}
ONE_ROW_STEPS = {"full": 300, "quick": 150, "smoke": 20}
N_CUSTOMERS = {"full": 20_000, "quick": 5_000, "smoke": 200}
REPEATS = {"full": 3, "quick": 2, "smoke": 1}
# COPY's bulk load: rows per CSV file (a step each), the insert() load's steps and larger files
COPY_FILES = {"full": (10_000, 50_000), "quick": (10_000, 30_000), "smoke": (500, 1000)}
CONFIGS = {  # name -> Pipeline options
    "1 worker (in-process)": {},
    "1 worker process": {"workers": 1, "backend": "processes"},
    "2 worker processes": {"workers": 2, "backend": "processes"},
}
IN_PROCESS, ONE, TWO = CONFIGS
RAY = ("2 Ray actors (local Ray)", {"workers": 2, "backend": "ray"})  # quick/full, when Ray is installed
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (from /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def worker_pids(p) -> list:
    """The worker processes' pids (none in-process; Ray's actors are not counted: their CPU is n/a)."""
    shards = getattr(p, "_shards", None)
    procs = getattr(shards.transport, "procs", None) if shards is not None else None
    return [proc.pid for proc in procs] if procs else []


def cpu_now(p) -> tuple:
    """(this process's CPU seconds, the worker processes' CPU seconds)."""
    return time.process_time(), sum(cpu_seconds(pid) for pid in worker_pids(p))


def loaded_pipeline(options: dict, regions, customers):
    """A pipeline with ``options``, the view, and the regions and customers loaded (a step)."""
    from deltasql import Pipeline

    p = Pipeline(dialect="duckdb", **options)
    try:
        p.execute(data.SCHEMA)
        p.execute(f"CREATE VIEW {VIEW} AS {data.THROUGHPUT_VIEWS[VIEW]}")
        p.insert("regions", regions)
        p.insert("customers", customers)
        p.step()
    except BaseException:
        p.close()
        raise
    fresh_gc()
    return p


def run_pipeline(options: dict, regions, customers, orders, batch: int, one_row: int) -> dict:
    p = loaded_pipeline(options, regions, customers)
    try:
        stats0 = dict(p._shards.stats) if p._shards is not None else None
        load, cpu0, t = Load(), cpu_now(p), now()
        for i in range(0, len(orders), batch):
            p.insert("orders", orders[i:i + batch])
            p.step()
        out = bulk_figures(len(orders), now() - t, cpu0, cpu_now(p), load)
        out["view_rows"] = len(p.view(VIEW).rows())
        if stats0 is not None:
            steps = (len(orders) + batch - 1) // batch
            out["bulk_per_step"] = _per_step(stats0, p._shards.stats, steps)
        # one-row steps: an order inserted, then deleted
        extra = data.Orders(len(customers), seed=9).make(one_row)
        for i in range(len(extra)):
            extra[i] = (10_000_000 + i,) + extra[i][1:]
        stats0 = dict(p._shards.stats) if p._shards is not None else None
        times = []
        cpu0 = cpu_now(p)
        for row in extra:
            t = now()
            p.insert("orders", [row])
            p.step()
            times.append(now() - t)
            t = now()
            p.delete("orders", [row])
            p.step()
            times.append(now() - t)
        cpu1 = cpu_now(p)
        out["one_row_cpu_us"] = round((cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1]) / len(times) * 1e6, 1)
        out["one_row_median_us"] = round(statistics.median(times) * 1e6, 1)
        out["one_row_p99_us"] = round(sorted(times)[int(len(times) * 0.99) - 1] * 1e6, 1)
        if stats0 is not None:
            out["one_row_per_step"] = _per_step(stats0, p._shards.stats, len(times))
        return out
    finally:
        p.close()


def bulk_figures(n: int, secs: float, cpu0: tuple, cpu1: tuple, load: Load) -> dict:
    """A bulk load's figures: ``n`` rows in ``secs`` of wall time, the CPU of this process and of the
    worker processes between ``cpu0`` and ``cpu1`` (cpu_now), how busy the machine was (``load``)."""
    coord, work = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    cpu = coord + work
    busy = load.read()
    if "others_cores" in busy:  # our worker processes are not "other processes"
        busy["others_cores"] = round(max(0.0, busy["others_cores"] - work / secs), 2)
        busy["own_cores"] = round(busy["own_cores"] + work / secs, 2)
    return {"rows": n, "seconds": round(secs, 3), "rows_per_s": round(n / secs), "cpu_seconds": round(cpu, 3),
            "rows_per_cpu_s": round(n / cpu), "cpu_coordinator_us_per_row": round(coord / n * 1e6, 2),
            "cpu_workers_us_per_row": round(work / n * 1e6, 2), "load": busy}


def write_files(orders: list, batch: int, where: str) -> list:
    """The orders as CSV files of ``batch`` rows each (no header), in order."""
    files = []
    for i in range(0, len(orders), batch):
        path = os.path.join(where, f"orders{batch}_{i // batch:04d}.csv")
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows(orders[i:i + batch])
        files.append(path)
    return files


def run_copy(options: dict, regions, customers, files: list, n: int) -> dict:
    """The bulk load as COPY statements, a file each (each its own step: autocommit)."""
    p = loaded_pipeline(options, regions, customers)
    try:
        load, cpu0, t = Load(), cpu_now(p), now()
        for path in files:
            p.execute(f"COPY orders FROM '{path}' (HEADER false)")
        out = bulk_figures(n, now() - t, cpu0, cpu_now(p), load)
        out["view_rows"] = sorted(p.view(VIEW).rows())
        return out
    finally:
        p.close()


def run_duckdb_copy(con, files: list, n: int) -> dict:
    return _duckdb_timed(con, n, [(f"COPY orders FROM '{path}' (HEADER false, AUTO_DETECT false)", ())
                                  for path in files])


def _per_step(before: dict, after: dict, steps: int) -> dict:
    return {k: round((after[k] - before[k]) / steps, 1) for k in ("rounds", "exchanges", "rows_exchanged",
                                                                  "bytes_exchanged")}


def run_duckdb(con, n: int, batch: int) -> dict:
    return _duckdb_timed(con, n, [("INSERT INTO orders SELECT * FROM orders_staged WHERE o_id >= ? AND o_id < ?",
                                   (lo, lo + batch)) for lo in range(0, n, batch)])


def _duckdb_timed(con, n: int, loads: list) -> dict:
    """DuckDB's figures for ``n`` orders loaded by ``loads`` ([(statement, parameters)]), the query rerun
    after each, from an empty table."""
    query = data.THROUGHPUT_VIEWS[VIEW]
    con.execute("DELETE FROM orders")
    cpu0, t = time.process_time(), now()
    for sql, params in loads:
        con.execute(sql, params)
        duck_recompute(con, query)
    secs = now() - t
    return {"rows": n, "seconds": round(secs, 3), "rows_per_s": round(n / secs),
            "cpu_seconds": round(time.process_time() - cpu0, 3)}


def configs(mode: str) -> dict:
    out = dict(CONFIGS)
    if mode != "smoke":
        try:
            import ray  # noqa: F401

            out[RAY[0]] = RAY[1]
        except ImportError:
            pass
    return out


def run(mode: str) -> dict:
    nc = N_CUSTOMERS[mode]
    regions, customers = data.regions(), data.customers(nc)
    orders = data.Orders(nc).make(ROWS[mode])
    con = data.duck_with_schema()
    con.execute("CREATE TABLE orders_staged AS SELECT * FROM orders")
    duck_load(con, "regions", regions)
    duck_load(con, "customers", customers)
    duck_load(con, "orders_staged", orders)
    res = {"view": data.THROUGHPUT_VIEWS[VIEW].strip(), "rows": len(orders), "batch": BATCH[mode],
           "customers": nc, "cpus": os.cpu_count(), "runs": {name: [] for name in configs(mode)}, "duckdb": [],
           "copy": [{"batch": b, "runs": {name: [] for name in CONFIGS}, "duckdb": []} for b in COPY_FILES[mode]]}
    where = tempfile.mkdtemp(prefix="deltasql-shards-")
    files = {c["batch"]: write_files(orders, c["batch"], where) for c in res["copy"]}
    try:
        for i in range(REPEATS[mode]):  # interleaved, so a change in the machine's load hits every config
            for name, options in configs(mode).items():
                r = run_pipeline(options, regions, customers, orders, BATCH[mode], ONE_ROW_STEPS[mode])
                res["runs"][name].append(r)
                print(f"  {name:<22} {fmt_rate(r['rows_per_s']):>10} wall, {fmt_rate(r['rows_per_cpu_s']):>10} per CPU s, "
                      f"one-row step {fmt_us(r['one_row_median_us'])}, others' cores {r['load'].get('others_cores')}",
                      flush=True)
            res["duckdb"].append(run_duckdb(con, len(orders), BATCH[mode]))
            for c in res["copy"]:  # COPY: the three configurations in alternating order, back to back
                for name in (list(CONFIGS) if i % 2 == 0 else list(reversed(CONFIGS))):
                    r = run_copy(CONFIGS[name], regions, customers, files[c["batch"]], len(orders))
                    c["runs"][name].append(r)
                    print(f"  COPY of {c['batch']:,}-row files, {name:<22} {fmt_rate(r['rows_per_s']):>10} wall, "
                          f"{fmt_rate(r['rows_per_cpu_s']):>10} per CPU s, others' cores {r['load'].get('others_cores')}",
                          flush=True)
                c["duckdb"].append(run_duckdb_copy(con, files[c["batch"]], len(orders)))
    finally:
        shutil.rmtree(where)
    con.close()
    views = {repr(r.pop("view_rows")) for c in res["copy"] for runs in c["runs"].values() for r in runs}
    if len(views) != 1:
        raise AssertionError("COPY: the configurations computed different views")
    if RAY[0] in res["runs"]:
        import ray

        ray.shutdown()
    best = {name: max(runs, key=lambda r: r["rows_per_s"]) for name, runs in res["runs"].items()}
    res["best"] = best
    # the target is judged against the same backend with one worker (one worker process); the speedup
    # against one worker in the pipeline's own process (no pickling, no rounds) is given beside it
    speedups(res, res["runs"])
    res["speedup_cpu"] = round(best[TWO]["rows_per_cpu_s"] / best[ONE]["rows_per_cpu_s"], 2)
    res["speedup_cpu_vs_in_process"] = round(best[TWO]["rows_per_cpu_s"] / best[IN_PROCESS]["rows_per_cpu_s"], 2)
    res["load_2_processes"] = best[TWO]["load"]  # what the target's verdict is judged under
    for c in res["copy"]:
        c["best"] = {name: max(runs, key=lambda r: r["rows_per_s"]) for name, runs in c["runs"].items()}
        speedups(c, c["runs"])
    res["model"] = model(res)
    res["per_step"] = per_step(res)
    print(render_text(res))
    for c in res["copy"]:
        print(render_copy(c))
    print(copy_verdicts(res))
    print(render_per_step(res))
    print(render_model(res))
    return res


def speedups(out: dict, runs: dict) -> None:
    """2 worker processes against 1 worker process (the target's ratio) and against 1 worker in the
    pipeline's own process, in wall time: of the best runs, and of the medians."""
    for key, base in (("", ONE), ("_vs_in_process", IN_PROCESS)):
        out["speedup_2_processes" + key] = round(max(r["rows_per_s"] for r in runs[TWO]) /
                                                 max(r["rows_per_s"] for r in runs[base]), 2)
        out["speedup_median" + key] = round(statistics.median(r["rows_per_s"] for r in runs[TWO]) /
                                            statistics.median(r["rows_per_s"] for r in runs[base]), 2)


def per_step(res: dict) -> dict:
    """What sharding adds to each step, per configuration (medians over the runs): the one-row step's
    wall time beyond one worker in the pipeline's process (the rounds), and what a one-row and a bulk
    step exchange between workers."""
    base = statistics.median(r["one_row_median_us"] for r in res["runs"]["1 worker (in-process)"])
    out = {}
    for name, runs in res["runs"].items():
        if "one_row_per_step" not in runs[0]:
            continue
        m = _medians(runs)
        out[name] = {"one_row_overhead_us": round(m["one_row_median_us"] - base, 1),
                     "one_row": m["one_row_per_step"], "bulk": m["bulk_per_step"]}
    return out


def render_per_step(res: dict) -> str:
    lines = []
    for name, p in res["per_step"].items():
        one, bulk = p["one_row"], p["bulk"]
        lines.append(f"  {name}: a one-row step costs {fmt_us(p['one_row_overhead_us'])} more than on one worker "
                     f"in-process ({one['rounds']:g} rounds; {one['rows_exchanged']:,.1f} rows, "
                     f"{one['bytes_exchanged']:,.0f} bytes exchanged); a bulk step of {res['batch']:,} rows exchanges "
                     f"{bulk['rows_exchanged']:,.0f} rows, {bulk['bytes_exchanged'] / 1e3:,.1f} kB")
    return "\n".join(lines)


# -- the scaling model -----------------------------------------------------------------------------------
# Assumptions for machines we do not have (named in BENCHMARKS.md beside the predictions):
NET_BYTES_PER_S = 1.25e9   # 10 Gbit/s between the machines of a cluster, the coordinator's link the limit
NET_RTT_S = 100e-6         # a round trip between two machines of one data centre
RAY_ROUND_S = 1e-3         # a round of two local Ray actors, when not measured here


def model(res: dict) -> dict:
    """Constants measured in this run, and the step time they predict for W workers:

        seconds per input row = c_c + c_r·f + (c_w + c_x·f) / W + R·t(W) / B,   f = (W-1)/W

    c_c: the coordinator's CPU per row with one worker process (pickling the rows, filing their keys,
    committing its tables, summing the views' deltas; the types are checked by the workers and part of
    c_c runs while they work: engine/shards/staging.py); c_r: its extra CPU per row for relaying exchanged batches if every row
    crossed (measured at W=2, where half of them do); c_w: the workers' CPU per row with one worker
    process (the circuit); c_x: their extra CPU per row with 2 workers, counted as if every row crossed
    (pickling and merging what crosses; on join_group since staged batches are cut by the owner of the
    join key, only the partial groups cross, and c_x is what else two workers add: their costs per step);
    R: rounds per step; t(W) = t0 + W·t1 a round's latency (the coordinator serves the workers one after
    the other), from the one-row steps' wall time with 1 and 2 worker processes; B: rows per step.  On
    Ray a round of 2 local actors is measured the same way; for 60 actors the prediction is a range: a
    round costing what it costs with 2 (the calls are submitted at once and overlap) up to 30 times that
    (each actor's call costs as much as the coordinator's work for two), plus a network round trip.
    The coordinator and the workers take turns within a step, so one core per worker plus one for the
    coordinator is assumed; shards are assumed even (hash partitioning with many keys)."""
    b = {name: _medians(runs) for name, runs in res["runs"].items()}  # medians: robust to a preempted run
    one, two, inproc = b["1 worker process"], b["2 worker processes"], b["1 worker (in-process)"]
    us = 1e-6
    c_c, c_w = one["cpu_coordinator_us_per_row"] * us, one["cpu_workers_us_per_row"] * us
    c_r = max(0.0, two["cpu_coordinator_us_per_row"] * us - c_c) * 2
    c_x = max(0.0, two["cpu_workers_us_per_row"] * us - c_w) * 2
    rounds_bulk = two["bulk_per_step"]["rounds"]
    rounds_one = two["one_row_per_step"]["rounds"]
    lat1 = max(0.0, one["one_row_median_us"] - inproc["one_row_median_us"]) * us / rounds_one
    lat2 = max(0.0, two["one_row_median_us"] - inproc["one_row_median_us"]) * us / rounds_one
    t1 = max(0.0, lat2 - lat1)
    t0 = max(0.0, lat1 - t1)
    bytes_full = two["bulk_per_step"]["bytes_exchanged"] / res["batch"] * 2  # per input row, if every row crossed
    ray = b.get(RAY[0])
    ray_round = (max(0.0, ray["one_row_median_us"] - inproc["one_row_median_us"]) * us / rounds_one
                 if ray else RAY_ROUND_S)
    batch = res["batch"]

    def per_row(w, t_round, net_bytes_per_row=0.0):
        f = (w - 1) / w
        return c_c + c_r * f + (c_w + c_x * f) / w + rounds_bulk * t_round / batch + net_bytes_per_row * f

    # the speedup of 2 workers over 1 worker process that these constants allow: with the coordinator and
    # the workers taking turns within a step (as now), and if the coordinator's work overlapped the workers'
    # on 2 cores (a bound no step-by-step API reaches: a step's rows must be checked before it runs)
    w2 = two["cpu_workers_us_per_row"] * us
    turns = (c_c + c_w) / (c_c + w2 / 2)
    overlapped = (c_c + c_w) / max((c_c + w2) / 2, c_c, w2 / 2)
    out = {"ratio_taking_turns": round(turns, 2), "ratio_overlapped": round(overlapped, 2),
           "c_c_us": round(c_c / us, 2), "c_r_us": round(c_r / us, 2), "c_w_us": round(c_w / us, 2),
           "c_x_us": round(c_x / us, 2), "rounds_bulk": rounds_bulk, "rounds_one_row": rounds_one,
           "t0_us": round(t0 / us, 1), "t1_us": round(t1 / us, 1), "bytes_per_row_all_crossing": round(bytes_full, 1),
           "ray_round_us": round(ray_round / us, 1), "ray_round_measured": ray is not None,
           "in_process_cpu_us": round(inproc["cpu_coordinator_us_per_row"], 2)}
    base = inproc["cpu_coordinator_us_per_row"] * us  # one worker in-process, with a core of its own
    preds = []
    for label, w, t_round, net in (
            ("2 worker processes, 3 free cores", 2, t0 + 2 * t1, 0.0),
            ("16 cores, 15 worker processes", 15, t0 + 15 * t1, 0.0),
            ("4 machines x 16 cores on Ray, 60 actors, a round as with 2 (calls overlap)", 60,
             NET_RTT_S + ray_round, 2 * bytes_full / NET_BYTES_PER_S),
            ("4 machines x 16 cores on Ray, 60 actors, a round growing with each actor", 60,
             NET_RTT_S + 30 * ray_round, 2 * bytes_full / NET_BYTES_PER_S),
            ("any number of workers (the coordinator's bound)", 10 ** 9, 0.0, 0.0)):
        sec = per_row(w, t_round, net)
        preds.append({"config": label, "workers": w, "rows_per_s": round(1 / sec),
                      "speedup": round(base / sec, 2),
                      "one_row_step_us": round(inproc["one_row_median_us"] + rounds_one * t_round / us)
                      if w < 10 ** 9 else None})
    out["predictions"] = preds
    return out


def _medians(runs: list) -> dict:
    """The median of each figure the model reads over a configuration's runs."""
    keys = ("cpu_coordinator_us_per_row", "cpu_workers_us_per_row", "one_row_median_us")
    out = {k: statistics.median(r[k] for r in runs) for k in keys}
    for part in ("bulk_per_step", "one_row_per_step"):
        if part in runs[0]:
            out[part] = {k: statistics.median(r[part][k] for r in runs) for k in runs[0][part]}
    return out


def render_model(res: dict) -> str:
    m = res["model"]
    rows = [[p["config"], fmt_rate(p["rows_per_s"]), f"{p['speedup']}×",
             fmt_us(p["one_row_step_us"]) if p["one_row_step_us"] is not None else "-"] for p in m["predictions"]]
    return table(["predicted for", "bulk rows/s", "vs 1 worker in-process (its CPU per row)", "one-row step"], rows)


def render_text(res: dict) -> str:
    rows = []
    duck = max(res["duckdb"], key=lambda r: r["rows_per_s"])
    for name, r in res["best"].items():
        per = r.get("bulk_per_step", {})
        measured = "Ray" not in name
        rows.append([name, fmt_rate(r["rows_per_s"]),
                     f"{r['cpu_coordinator_us_per_row']:.1f} + {r['cpu_workers_us_per_row']:.1f} µs" if measured
                     else f"{r['cpu_coordinator_us_per_row']:.1f} + n/a µs",
                     fmt_rate(r["rows_per_cpu_s"]) if measured else "n/a",
                     f"{r['load'].get('others_cores', '?')}",
                     f"{fmt_us(r['one_row_median_us'])} ({fmt_us(r['one_row_cpu_us'])} CPU)" if measured
                     else fmt_us(r["one_row_median_us"]),
                     f"{per['rounds']:.0f} / {per['rows_exchanged']:,.0f} rows / {per['bytes_exchanged'] / 1e6:.2f} MB"
                     if per else "-"])
    rows.append(["DuckDB (insert batch, re-run query)", fmt_rate(duck["rows_per_s"]),
                 f"{duck['cpu_seconds'] / duck['rows'] * 1e6:.1f} µs", fmt_rate(duck["rows"] / duck["cpu_seconds"]),
                 "", "", ""])
    return table(["configuration", "bulk rows/s (wall)", "CPU per row (coordinator + workers)", "rows per CPU s",
                  "others' cores", "one-row step: median wall (CPU)", "per bulk step: rounds / exchanged"], rows)


def render_copy(c: dict) -> str:
    """One COPY load's table (``c``: an entry of the result's "copy")."""
    rows = [[name, fmt_rate(r["rows_per_s"]),
             f"{r['cpu_coordinator_us_per_row']:.1f} + {r['cpu_workers_us_per_row']:.1f} µs", fmt_rate(r["rows_per_cpu_s"]),
             f"{r['load'].get('others_cores', '?')}"] for name, r in c["best"].items()]
    duck = max(c["duckdb"], key=lambda r: r["rows_per_s"])
    rows.append(["DuckDB (COPY the file, re-run query)", fmt_rate(duck["rows_per_s"]),
                 f"{duck['cpu_seconds'] / duck['rows'] * 1e6:.1f} µs", fmt_rate(duck["rows"] / duck["cpu_seconds"]), ""])
    return table([f"COPY orders FROM a CSV file of {c['batch']:,} rows per step", "bulk rows/s (wall)",
                  "CPU per row (coordinator + workers)", "rows per CPU s", "others' cores"], rows)


def copy_verdicts(res: dict) -> str:
    """Each COPY load's ratios, a line."""
    return "\n".join(f"  COPY of {c['batch']:,}-row files: 2 worker processes {c['speedup_2_processes']}× one worker "
                     f"process (median {c['speedup_median']}×), {c['speedup_2_processes_vs_in_process']}× one worker "
                     f"in-process (median {c['speedup_median_vs_in_process']}×)" for c in res.get("copy", []))


def main(argv=None):
    return main_for("shards", run, __doc__, argv)


if __name__ == "__main__":
    main()
