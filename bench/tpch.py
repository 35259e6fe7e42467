"""Workload 6: TPC-H queries as views under insert/delete batches of orders with their lineitems, vs DuckDB."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys

from .common import (
    OUT_DIR,
    Timings,
    clock,
    cpu_or_wall,
    duck,
    duck_recompute,
    fmt_us,
    fresh_gc,
    main_for,
    now,
    ratio,
    same_rows,
    since,
    summary,
    table,
)
from .tpch_queries import QUERIES, SCHEMA, TABLES

SCALES = {"full": [0.01, 0.1], "quick": [0.01], "smoke": [0.001]}
BATCH_ORDERS = 10  # orders per batch, each with its lineitems (about 4 per order)
BATCHES = {"full": 30, "quick": 10, "smoke": 3}  # insert batches, then as many delete batches
SMOKE_QUERIES = ["q1", "q3", "q6", "q13"]
LOAD_CHUNK = 50_000
# Before a scale factor 10x the previous one, each query's load time there is predicted from its load times
# at the two scales below (t * t / t_before: a load that grew 10x is predicted to grow 10x again, one that
# grew 100x, as a cross product does, 100x); a query predicted to take longer than this is skipped.
LOAD_BUDGET_S = 150.0


def tpchgen() -> str:
    exe = shutil.which("tpchgen-cli") or os.path.join(os.path.dirname(sys.executable), "tpchgen-cli")
    if not os.path.exists(exe):
        raise RuntimeError("tpchgen-cli not found: pip install -e '.[bench]'")
    return exe


def generate(sf: float) -> str:
    """CSV files for scale factor ``sf`` under bench/out/tpch/ (generated once, then reused)."""
    d = os.path.join(OUT_DIR, "tpch", f"sf{sf:g}")
    if not all(os.path.exists(os.path.join(d, f"{t}.csv")) for t in TABLES):
        os.makedirs(d, exist_ok=True)
        subprocess.run([tpchgen(), "csv", "-s", f"{sf:g}", "--output-dir", d, "--overwrite"], check=True,
                       capture_output=True)
    return d


def tables_of(query: str) -> list[str]:
    import sqlglot
    from sqlglot import exp

    names = {t.name for t in sqlglot.parse_one(query, read="duckdb").find_all(exp.Table)}
    return [t for t in TABLES if t in names]


class Data:
    """The generated tables in DuckDB (``base_*``) and as Python rows, split into what is loaded at the
    start, the orders inserted later in batches and the orders deleted in batches."""

    def __init__(self, sf: float, n_batches: int, seed: int = 11):
        d = generate(sf)
        self.sf = sf
        self.con = duck()
        self.con.execute(SCHEMA)
        for t in TABLES:
            self.con.execute(f"COPY {t} FROM '{os.path.join(d, t + '.csv')}' (HEADER)")
        self.rows = {t: self.con.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
        rnd = random.Random(seed)
        keys = [r[0] for r in self.rows["orders"]]
        picked = rnd.sample(keys, 2 * n_batches * BATCH_ORDERS)
        held = picked[:n_batches * BATCH_ORDERS]
        doomed = picked[n_batches * BATCH_ORDERS:]
        self.insert_batches = [held[i:i + BATCH_ORDERS] for i in range(0, len(held), BATCH_ORDERS)]
        self.delete_batches = [doomed[i:i + BATCH_ORDERS] for i in range(0, len(doomed), BATCH_ORDERS)]
        held_set = set(held)
        self.orders_by_key = {r[0]: r for r in self.rows["orders"]}
        self.lines_by_key: dict = {}
        for r in self.rows["lineitem"]:
            self.lines_by_key.setdefault(r[0], []).append(r)
        self.initial = dict(self.rows)
        self.initial["orders"] = [r for r in self.rows["orders"] if r[0] not in held_set]
        self.initial["lineitem"] = [r for r in self.rows["lineitem"] if r[0] not in held_set]
        c = self.con
        c.execute("CREATE TEMP TABLE held(k BIGINT, batch INT)")
        c.executemany("INSERT INTO held VALUES (?, ?)", [(k, i) for i, b in enumerate(self.insert_batches) for k in b])
        for t in ("orders", "lineitem"):
            key = "o_orderkey" if t == "orders" else "l_orderkey"
            c.execute(f"CREATE TABLE held_{t} AS SELECT {t}.*, held.batch FROM {t} JOIN held ON {key} = held.k")
            c.execute(f"DELETE FROM {t} WHERE {key} IN (SELECT k FROM held)")
            c.execute(f"CREATE TABLE base_{t} AS SELECT * FROM {t}")
        self.counts = {t: len(v) for t, v in self.rows.items()}

    def reset_duck(self) -> None:
        for t in ("orders", "lineitem"):
            self.con.execute(f"DELETE FROM {t}")
            self.con.execute(f"INSERT INTO {t} SELECT * FROM base_{t}")

    def duck_insert(self, i: int, needed) -> None:
        for t in ("orders", "lineitem"):
            if t in needed:
                cols = "o_orderkey" if t == "orders" else "l_orderkey"
                self.con.execute(f"INSERT INTO {t} SELECT * EXCLUDE (batch) FROM held_{t} WHERE batch = ? "
                                 f"ORDER BY {cols}", (i,))

    def duck_delete(self, keys, needed) -> None:
        ks = ", ".join(map(str, keys))
        if "orders" in needed:
            self.con.execute(f"DELETE FROM orders WHERE o_orderkey IN ({ks})")
        if "lineitem" in needed:
            self.con.execute(f"DELETE FROM lineitem WHERE l_orderkey IN ({ks})")

    def batch_rows(self, keys) -> tuple[list, list]:
        return [self.orders_by_key[k] for k in keys], [r for k in keys for r in self.lines_by_key.get(k, [])]


def load(name: str, query: str, d: Data) -> tuple:
    """A pipeline with the view, loaded with the initial rows of the tables it reads: (p, result dict)."""
    from deltasql import Pipeline

    needed = tables_of(query)
    res = {"tables": needed, "affected": "orders" in needed or "lineitem" in needed}
    p = Pipeline(dialect="duckdb")
    p.execute(SCHEMA)
    t = now()
    p.execute(f"CREATE VIEW {name} AS {query}")
    res["compile_ms"] = round((now() - t) * 1000, 2)
    fresh_gc()
    t = clock()
    loaded = 0
    for tname in needed:
        rows = d.initial[tname]
        for i in range(0, len(rows), LOAD_CHUNK):
            p.insert(tname, rows[i:i + LOAD_CHUNK])
            p.step()
        loaded += len(rows)
    wall, cpu = since(t)
    res["load_s"], res["load_cpu_s"] = round(wall, 3), round(cpu, 3)
    res["load_rows_per_s"] = round(loaded / max(wall, 1e-9))
    return p, res


def bench_query(name: str, query: str, d: Data) -> dict:
    p, res = load(name, query, d)
    needed, affected = res["tables"], res["affected"]
    d.reset_duck()
    t = clock()
    duck_recompute(d.con, query)
    res["duckdb_query_ms"] = round(since(t)[1] * 1000, 2)
    checks = [("after load", same_rows(p.view(name).rows(), d.con.execute(query).fetchall()))]
    ours, theirs = {"insert": Timings(), "delete": Timings()}, {"insert": Timings(), "delete": Timings()}
    if affected:
        fresh_gc()
        for i, keys in enumerate(d.insert_batches):
            orders, lines = d.batch_rows(keys)
            t = clock()
            if "orders" in needed:
                p.insert("orders", orders)
            if "lineitem" in needed:
                p.insert("lineitem", lines)
            p.step()
            ours["insert"].add(since(t))
            t = clock()
            d.duck_insert(i, needed)
            duck_recompute(d.con, query)
            theirs["insert"].add(since(t))
        checks.append(("after inserts", same_rows(p.view(name).rows(), d.con.execute(query).fetchall())))
        for keys in d.delete_batches:
            orders, lines = d.batch_rows(keys)
            t = clock()
            if "orders" in needed:
                p.delete("orders", orders)
            if "lineitem" in needed:
                p.delete("lineitem", lines)
            p.step()
            ours["delete"].add(since(t))
            t = clock()
            d.duck_delete(keys, needed)
            duck_recompute(d.con, query)
            theirs["delete"].add(since(t))
        checks.append(("after deletes", same_rows(p.view(name).rows(), d.con.execute(query).fetchall())))
        both_o, both_t = ours["insert"] + ours["delete"], theirs["insert"] + theirs["delete"]
        res["deltasql"] = {"all": summary(both_o), "insert": summary(ours["insert"]), "delete": summary(ours["delete"])}
        res["duckdb"] = {"all": summary(both_t), "insert": summary(theirs["insert"]),
                         "delete": summary(theirs["delete"])}
        res["ratio_median"] = ratio(res["duckdb"]["all"]["median_us"], res["deltasql"]["all"]["median_us"])
        res["ratio_cpu_median"] = ratio(cpu_or_wall(res["duckdb"]["all"]), cpu_or_wall(res["deltasql"]["all"]))
    res["view_rows"] = len(p.view(name))
    bad = [f"{when}: {why}" for when, (ok, why) in checks if not ok]
    res["correct"] = not bad
    res["mismatch"] = "; ".join(bad)
    return res


def run(mode: str) -> dict:
    from deltasql import CompileError, Pipeline

    res = {"batch_orders": BATCH_ORDERS, "batches": BATCHES[mode], "scales": {}, "compile": {}}
    names = SMOKE_QUERIES if mode == "smoke" else list(QUERIES)
    for name in names:  # which compile (a CompileError is a finding for BUGS.md)
        p = Pipeline(dialect="duckdb")
        p.execute(SCHEMA)
        try:
            p.execute(f"CREATE VIEW {name} AS {QUERIES[name]}")
            res["compile"][name] = "ok"
        except CompileError as e:
            res["compile"][name] = f"CompileError: {e}"
        except Exception as e:
            res["compile"][name] = f"internal {type(e).__name__}: {e}"
    loads = {}  # sf -> {query: load seconds}, for the predictions
    scales = SCALES[mode]
    if len(scales) > 1:  # a load-only probe one step below the first scale
        probe = scales[0] / 10
        d = Data(probe, 1)
        loads[probe] = {name: load(name, QUERIES[name], d)[1]["load_s"] for name in names
                        if res["compile"][name] == "ok"}
        d.con.close()
        del d
        res["probe_load_s"] = {f"{probe:g}": loads[probe]}
    for sf in scales:
        t = now()
        d = Data(sf, BATCHES[mode])
        below = sorted(s for s in loads if s < sf)[-2:]
        per = res["scales"][f"{sf:g}"] = {"rows": d.counts, "prepare_s": round(now() - t, 1), "queries": {}}
        print(f"  SF {sf:g}: {d.counts['lineitem']:,} lineitems, {d.counts['orders']:,} orders; batches of "
              f"{BATCH_ORDERS} orders", flush=True)
        for name in names:
            if res["compile"][name] != "ok":
                continue
            if len(below) == 2 and name in loads[below[0]] and name in loads[below[1]]:
                t0, t1 = loads[below[0]][name], loads[below[1]][name]
                predicted = t1 * max(t1 / max(t0, 1e-3), sf / below[1])
                if predicted > LOAD_BUDGET_S:
                    why = f"predicted load {predicted:.0f} s (SF {below[0]:g}: {t0:.2f} s, SF {below[1]:g}: {t1:.2f} s)"
                    per["queries"][name] = {"skipped": why, "correct": True}
                    print(f"    {name:<4} skipped: {per['queries'][name]['skipped']}", flush=True)
                    continue
            try:
                r = bench_query(name, QUERIES[name], d)
            except Exception as e:  # a runtime failure is a finding; keep measuring the others
                r = {"error": f"{type(e).__name__}: {str(e)[:300]}", "correct": False}
            per["queries"][name] = r
            if "load_s" in r:
                loads.setdefault(sf, {})[name] = r["load_s"]
            if "error" in r:
                print(f"    {name:<4} FAILED {r['error']}", flush=True)
            elif r["affected"]:
                print(f"    {name:<4} load {r['load_s']:6.2f} s  "
                      f"batch median {fmt_us(r['deltasql']['all']['median_us']):>8} "
                      f"p99 {fmt_us(r['deltasql']['all']['p99_us']):>8}  duckdb "
                      f"{fmt_us(r['duckdb']['all']['median_us']):>8}  x{r['ratio_median']:<6} "
                      f"{'correct' if r['correct'] else 'WRONG: ' + r['mismatch'][:200]}", flush=True)
            else:
                print(f"    {name:<4} load {r['load_s']:6.2f} s  (does not read orders/lineitem)  "
                      f"{'correct' if r['correct'] else 'WRONG: ' + r['mismatch'][:200]}", flush=True)
        d.con.close()
        del d
        fresh_gc()
    print(render_text(res))
    return res


def render_text(res: dict) -> str:
    rows = []
    for sf, per in res["scales"].items():
        for name, r in per["queries"].items():
            if "error" in r or "skipped" in r:
                why = f"error: {r['error'][:60]}" if "error" in r else f"skipped: {r['skipped']}"
                rows.append([sf, name, "-", "-", "-", "-", "-", "-", "-", why])
                continue
            if not r["affected"]:
                rows.append([sf, name, f"{r.get('load_cpu_s', r['load_s'])} s", "not affected", "", "",
                             f"{r['duckdb_query_ms']} ms", "", "",
                             "yes" if r["correct"] else "NO"])
                continue
            d, k = r["deltasql"], r["duckdb"]
            rows.append([sf, name, f"{r.get('load_cpu_s', r['load_s'])} s", fmt_us(cpu_or_wall(d["all"])),
                         fmt_us(d["all"]["median_us"]), fmt_us(d["all"]["p99_us"]), fmt_us(cpu_or_wall(k["all"])),
                         f"{r.get('ratio_cpu_median', r['ratio_median'])}×",
                         f"ins {fmt_us(cpu_or_wall(d['insert']))} / del {fmt_us(cpu_or_wall(d['delete']))}",
                         "yes" if r["correct"] else "NO: " + r["mismatch"][:60]])
    failed = [f"{q}: {v}" for q, v in res["compile"].items() if v != "ok"]
    text = table(["SF", "query", "deltasql load (CPU)", "batch CPU median", "batch wall median", "wall p99",
                  "DuckDB batch+query CPU median", "ratio (CPU)", "deltasql CPU insert / delete", "matches DuckDB"],
                 rows)
    return text + ("\nfailed to compile: " + "; ".join(failed) if failed else "\nall queries compiled")


def main(argv=None):
    return main_for("tpch", run, __doc__, argv)


if __name__ == "__main__":
    main()
