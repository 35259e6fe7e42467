"""What sinks cost: the time a sink adds to a one-row step, and bulk rows/s into each sink against
DuckDB's own INSERT of the same rows in the same run.  ``python -m bench.sinks``

1. One-row steps: a pipeline holding ``orders`` and the view ``revenue`` (COUNT, SUM per customer, one
   customer per 10 orders); each step inserts one order, so the view changes one group (-old row,
   +new row).  Timed: ``insert`` + ``step()``, with no sink and with each sink attached (``p.sink``);
   wall and CPU time (``time.process_time``: this process only, so not the PostgreSQL server's).
2. Bulk: the changes of one step of R new rows of a 4-column view (INTEGER, VARCHAR, DECIMAL(10,2), DATE),
   then of the step that deletes them all, written by each sink (``Sink.write``); against DuckDB in the
   same process inserting the same R rows (a) from a DuckDB table that holds them (the engine alone:
   ``INSERT … SELECT``) and (b) from Python lists (``INSERT … SELECT unnest(?)``, the DuckDB sink's
   own path), and deleting them all (``DELETE``).

Sinks write durably (SQLite synchronous=FULL, fsync for the change logs, DuckDB's own commit); the
PostgreSQL server is the test one (tests/pgserver.py: fsync off), started when PostgreSQL is installed.
"""

from __future__ import annotations

import datetime
import decimal
import os
import random
import shutil
import tempfile
import time

from .common import fmt_rate, fmt_us, fresh_gc, main_for, now, summary, table

SIZES = {"full": dict(orders=100_000, steps=600, bulk=100_000),
         "quick": dict(orders=20_000, steps=200, bulk=20_000),
         "smoke": dict(orders=500, steps=10, bulk=300)}
KINDS = ("duckdb", "sqlite", "postgresql", "jsonl", "csv", "parquet")

VIEWS = """
CREATE TABLE orders(id INT PRIMARY KEY, customer INT, amount DECIMAL(10, 2));
CREATE VIEW revenue AS SELECT customer, COUNT(*) AS n, SUM(amount) AS total FROM orders GROUP BY customer;
CREATE TABLE items(id INT, name VARCHAR, price DECIMAL(10, 2), day DATE);
CREATE VIEW items_v AS SELECT id, name, price, day FROM items;
"""


class Targets:
    """A fresh target of each kind available here (a PostgreSQL server if one can be started)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="deltasql-bench-sinks-")
        self.pg = None
        self.why_no_pg = None
        self.n = 0
        try:
            import psycopg  # noqa: F401

            from tests import pgserver

            reason = pgserver.unavailable()
            if reason:
                self.why_no_pg = reason
            else:
                self.pg = pgserver.PostgresServer().start()
        except ImportError as e:
            self.why_no_pg = f"{e.name} is not installed"
        except RuntimeError as e:
            self.why_no_pg = str(e).splitlines()[0]

    def kinds(self) -> list[str]:
        out = []
        for kind in KINDS:
            module = {"duckdb": "duckdb", "postgresql": "psycopg", "parquet": "pyarrow"}.get(kind)
            try:
                if module:
                    __import__(module)
            except ImportError:
                continue
            if kind == "postgresql" and self.pg is None:
                continue
            out.append(kind)
        return out

    def new(self, kind: str) -> str:
        self.n += 1
        base = os.path.join(self.dir, f"t{self.n}")
        if kind == "postgresql":
            return self.pg.create_database().dsn
        return {"duckdb": f"duckdb:{base}.duckdb", "sqlite": f"sqlite:{base}.sqlite", "jsonl": f"jsonl:{base}.jsonl",
                "csv": f"csv:{base}", "parquet": f"parquet:{base}"}[kind]

    def close(self) -> None:
        if self.pg is not None:
            self.pg.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def one_row_steps(targets: Targets, n_orders: int, n_steps: int) -> dict:
    from deltasql import Pipeline

    rng = random.Random(5)
    customers = max(n_orders // 10, 1)
    p = Pipeline()
    p.execute(VIEWS)
    p.insert("orders", [(i, rng.randrange(customers), decimal.Decimal(rng.randrange(100, 100_000)) / 100)
                        for i in range(n_orders)])
    p.step()
    next_id = [n_orders]

    def timed_steps() -> dict:
        wall, cpu = [], []
        fresh_gc()
        for _ in range(n_steps):
            row = (next_id[0], rng.randrange(customers), decimal.Decimal(rng.randrange(100, 100_000)) / 100)
            next_id[0] += 1
            t, c = now(), time.process_time()
            p.insert("orders", [row])
            p.step()
            cpu.append(time.process_time() - c)
            wall.append(now() - t)
        return {"wall": summary(wall), "cpu": summary(cpu)}

    out = {"orders": n_orders, "groups": customers, "steps": n_steps, "none": timed_steps()}
    for kind in targets.kinds():
        feed = p.sink("revenue", targets.new(kind))
        out[kind] = timed_steps()
        feed.close()
        print(f"  one-row step, {kind}: {fmt_us(out[kind]['wall']['median_us'])} "
              f"(none: {fmt_us(out['none']['wall']['median_us'])})", flush=True)
    out["none_again"] = timed_steps()  # the baseline once more, after the others (drift)
    return out


def bulk_rows(n: int) -> list[tuple]:
    rng = random.Random(7)
    day0 = datetime.date(2024, 1, 1)
    return [(i, f"item {rng.randrange(10 ** 6)}", decimal.Decimal(rng.randrange(1, 10 ** 6)) / 100,
             day0 + datetime.timedelta(days=rng.randrange(365))) for i in range(n)]


def bulk(targets: Targets, n: int) -> dict:
    from deltasql import Pipeline
    from deltasql.connectors.sinks import open_sink
    from deltasql.engine.feeds import view_schema

    p = Pipeline()
    p.execute(VIEWS)
    schema = view_schema(p, "items_v")
    rows = bulk_rows(n)
    p.insert("items", rows)
    added = p.step()["items_v"]
    p.delete("items", rows)
    removed = p.step()["items_v"]
    out = {"rows": n}
    for kind in targets.kinds():
        sink = open_sink(targets.new(kind))
        sink.reset(0, schema, {})
        fresh_gc()
        res = {}
        for what, step, changes in (("insert", 1, added), ("delete", 2, removed)):
            t, c = now(), time.process_time()
            sink.write(step, {"items_v": schema}, {"items_v": changes})
            res[what] = {"wall_s": now() - t, "cpu_s": time.process_time() - c}
            res[what]["rows_per_s"] = n / res[what]["wall_s"]
        sink.close()
        out[kind] = res
        print(f"  bulk {kind}: insert {fmt_rate(res['insert']['rows_per_s'])}, "
              f"delete {fmt_rate(res['delete']['rows_per_s'])}", flush=True)
    out["duckdb_engine"], out["duckdb_from_python"] = duckdb_baselines(rows)
    return out


def duckdb_baselines(rows: list) -> tuple[dict, dict]:
    """DuckDB inserting the rows (a) from a table of its own, (b) from Python lists; deleting them all."""
    from .common import duck

    con = duck()
    ddl = "(id INTEGER, name VARCHAR, price DECIMAL(10,2), day DATE)"
    con.execute(f"CREATE TABLE src{ddl}")
    cols = [list(c) for c in zip(*rows)]
    lists = "SELECT unnest(?::INTEGER[]), unnest(?::VARCHAR[]), unnest(?::DECIMAL(10,2)[]), unnest(?::DATE[])"
    con.execute(f"INSERT INTO src {lists}", cols)
    n = len(rows)

    def timed(sql, params=None) -> dict:
        t, c = now(), time.process_time()
        con.execute(sql, params) if params is not None else con.execute(sql)
        wall, cpu = now() - t, time.process_time() - c
        return {"wall_s": wall, "cpu_s": cpu, "rows_per_s": n / wall}

    out = []
    for source, params in (("SELECT * FROM src", None), (lists, cols)):
        con.execute(f"CREATE OR REPLACE TABLE dst{ddl}")
        ins = timed(f"INSERT INTO dst {source}", params)
        dele = timed("DELETE FROM dst")
        out.append({"insert": ins, "delete": dele})
    con.close()
    return out[0], out[1]


def run(mode: str) -> dict:
    z = SIZES[mode]
    targets = Targets()
    try:
        res = {"kinds": targets.kinds(), "no_postgresql": targets.why_no_pg}
        res["one_row"] = one_row_steps(targets, z["orders"], z["steps"])
        res["bulk"] = bulk(targets, z["bulk"])
    finally:
        targets.close()
    return res


def render_text(res: dict) -> str:
    o, b = res["one_row"], res["bulk"]
    base = o["none"]["wall"]["median_us"]
    rows = [["no sink", fmt_us(base), fmt_us(o["none"]["wall"]["p99_us"]), fmt_us(o["none"]["cpu"]["median_us"]), "-"]]
    for kind in res["kinds"]:
        r = o[kind]
        rows.append([kind, fmt_us(r["wall"]["median_us"]), fmt_us(r["wall"]["p99_us"]), fmt_us(r["cpu"]["median_us"]),
                     fmt_us(r["wall"]["median_us"] - base)])
    rows.append(["no sink, again", fmt_us(o["none_again"]["wall"]["median_us"]),
                 fmt_us(o["none_again"]["wall"]["p99_us"]), fmt_us(o["none_again"]["cpu"]["median_us"]), "-"])
    text = table(["one-row step (insert + step)", "median wall", "p99 wall", "median CPU", "added by the sink"], rows)
    text += (f"\n\n{o['steps']} steps per row, each inserting one order into {o['orders']:,} orders "
             f"({o['groups']:,} groups in the view).")
    rows = []
    for kind in res["kinds"]:
        r = b[kind]
        rows.append([f"{kind} sink", fmt_rate(r["insert"]["rows_per_s"]), f"{r['insert']['cpu_s']:.2f} s",
                     fmt_rate(r["delete"]["rows_per_s"]), f"{r['delete']['cpu_s']:.2f} s"])
    for key, what in (("duckdb_engine", "DuckDB INSERT … SELECT from a DuckDB table"),
                      ("duckdb_from_python", "DuckDB INSERT from Python lists (unnest)")):
        r = b[key]
        rows.append([what, fmt_rate(r["insert"]["rows_per_s"]), f"{r['insert']['cpu_s']:.2f} s",
                     fmt_rate(r["delete"]["rows_per_s"]), f"{r['delete']['cpu_s']:.2f} s"])
    text += "\n\n" + table([f"bulk, {b['rows']:,} rows in one step", "insert rows/s", "insert CPU", "delete rows/s",
                            "delete CPU"], rows)
    if res.get("no_postgresql"):
        text += f"\n\nNo PostgreSQL sink in this run: {res['no_postgresql']}."
    return text


def main(argv=None):
    return main_for("sinks", run, __doc__, argv)


if __name__ == "__main__":
    main()
