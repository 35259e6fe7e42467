"""Workload: PostgreSQL change data capture end to end, on a throwaway server (tests/pgserver.py).

- latency: single-row transactions committed at a steady rate while deltasql follows the database;
  the time from just before each COMMIT to the step whose view change shows it (p50, p99);
- sustained throughput: rows/s from a writer committing 100-row transactions as fast as it can to the
  step that shows the last of them, with the follower thread's CPU time beside the wall time (the
  writer is usually the bound: the follower keeps up);
- catch-up throughput, the follower's own ceiling: the same transactions written while a second
  follower's slot holds them, then read from the WAL and applied as fast as it goes;
- the recomputation baseline, in the same run: PostgreSQL's own REFRESH MATERIALIZED VIEW of the same
  query, and DuckDB re-running it, on the final tables.

The writer, the follower and the server share the machine (writer and follower one process), so the
figures include their contention.  `python -m bench.cdc [--quick|--smoke]`; needs psycopg2 and a
PostgreSQL server package.
"""

from __future__ import annotations

import random
import threading
import time

from .common import duck, duck_load, duck_recompute, fmt_us, main_for, now, summary, table

SIZES = {"full": 200_000, "quick": 50_000, "smoke": 2_000}  # orders before the run
LATENCY_TX = {"full": 400, "quick": 150, "smoke": 15}
RATE = 50.0  # single-row transactions per second in the latency phase
THROUGHPUT_ROWS = {"full": 200_000, "quick": 50_000, "smoke": 2_000}
TX_ROWS = 100
REFRESHES = {"full": 10, "quick": 5, "smoke": 2}
MARK = 1_000_000_000  # ids from here on are timed

SCHEMA = """
CREATE TABLE customers(name text PRIMARY KEY, region text NOT NULL);
CREATE TABLE orders(id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(10, 2) NOT NULL);
ALTER TABLE customers REPLICA IDENTITY FULL;
ALTER TABLE orders REPLICA IDENTITY FULL;
"""
DECLARED = """
CREATE TABLE customers(name VARCHAR PRIMARY KEY, region VARCHAR NOT NULL);
CREATE TABLE orders(id BIGINT PRIMARY KEY, customer VARCHAR NOT NULL, amount DECIMAL(10, 2) NOT NULL);
"""
QUERY = ("SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS total FROM orders o "
         "JOIN customers c ON c.name = o.customer GROUP BY c.region")
CUSTOMERS = 1000


def run(mode: str) -> dict:
    import psycopg2
    import psycopg2.extras

    from deltasql import Pipeline
    from deltasql.connectors.sources import PostgresSource, follow
    from deltasql.connectors.sources.follow import apply_batch
    from tests.pgserver import PostgresServer

    rnd = random.Random(16)
    with PostgresServer() as pg:
        db = pg.create_database("bench")
        db.psql(SCHEMA)
        conn = psycopg2.connect(db.dsn)
        with conn.cursor() as c:
            psycopg2.extras.execute_values(c, "INSERT INTO customers VALUES %s",
                                           [(f"c{i}", f"r{i % 7}") for i in range(CUSTOMERS)])
            psycopg2.extras.execute_values(c, "INSERT INTO orders VALUES %s", [
                (i, f"c{rnd.randrange(CUSTOMERS)}", rnd.randrange(1, 100000) / 100) for i in range(SIZES[mode])],
                page_size=10_000)
        conn.commit()

        p = Pipeline()
        p.execute(DECLARED)
        p.execute(f"CREATE VIEW by_region AS {QUERY}")
        p.execute(f"CREATE VIEW marks AS SELECT id FROM orders WHERE id >= {MARK}")
        seen: dict = {}  # marked id -> when its step ended
        cpu = {}
        snapshot = threading.Event()

        def on_step(changes, stats):
            t = now()
            for (oid,), w in changes.get("marks", ()):
                if w > 0:
                    seen[oid] = t
            cpu["last"] = time.thread_time()
            if not snapshot.is_set():
                cpu["snapshot_wall"] = t - started
                snapshot.set()

        source = PostgresSource(db.dsn)
        error = []

        def follower():
            try:
                follow(p, source, on_step=on_step)
            except BaseException as e:  # reported below
                error.append(e)
                snapshot.set()

        started = now()
        th = threading.Thread(target=follower, daemon=True)
        th.start()
        snapshot.wait()
        if error:
            raise error[0]

        # -- latency: single-row transactions at a steady rate
        committed = {}
        next_at = now()
        with conn.cursor() as c:
            for i in range(LATENCY_TX[mode]):
                oid = MARK + i
                c.execute("INSERT INTO orders VALUES (%s, %s, %s)", (oid, f"c{rnd.randrange(CUSTOMERS)}", 1))
                committed[oid] = now()
                conn.commit()
                next_at += 1 / RATE
                time.sleep(max(next_at - now(), 0))
        _wait(lambda: all(k in seen for k in committed), error)
        latencies = [seen[k] - committed[k] for k in committed]

        # -- sustained throughput: 100-row transactions as fast as the writer goes
        base = MARK + 10_000_000
        total = THROUGHPUT_ROWS[mode]
        cpu0 = cpu["last"]
        t0 = now()
        with conn.cursor() as c:
            for start in range(0, total, TX_ROWS):
                ids = range(start, min(start + TX_ROWS, total))
                rows = [(base + i if i == total - 1 else 10_000_000 + i,  # only the last one is marked
                         f"c{rnd.randrange(CUSTOMERS)}", rnd.randrange(1, 100000) / 100) for i in ids]
                psycopg2.extras.execute_values(c, "INSERT INTO orders VALUES %s", rows)
                conn.commit()
        write_wall = now() - t0
        last = base + total - 1
        _wait(lambda: last in seen, error)
        wall = seen[last] - t0
        follower_cpu = cpu["last"] - cpu0
        source.stop_at()
        th.join(60)

        # -- catch-up: WAL already written, read and applied as fast as the follower goes
        p2 = Pipeline()
        p2.execute(DECLARED)
        p2.execute(f"CREATE VIEW by_region AS {QUERY}")
        src2 = PostgresSource(db.dsn)
        src2.open(p2)
        apply_batch(p2, src2.read(60))  # its snapshot
        with conn.cursor() as c:
            for start in range(0, total, TX_ROWS):
                rows = [(20_000_000 + i, f"c{rnd.randrange(CUSTOMERS)}", rnd.randrange(1, 100000) / 100)
                        for i in range(start, min(start + TX_ROWS, total))]
                psycopg2.extras.execute_values(c, "INSERT INTO orders VALUES %s", rows)
                conn.commit()
        src2.stop_at()  # done once everything written before this is read
        cpu1, t1 = time.thread_time(), now()
        caught = follow(p2, _Opened(src2))
        catch_wall, catch_cpu = now() - t1, time.thread_time() - cpu1
        assert caught.rows == total, caught

        # -- recomputation baselines on the final tables
        with conn.cursor() as c:
            c.execute(f"CREATE MATERIALIZED VIEW mv AS {QUERY}")
            refresh = []
            for _ in range(REFRESHES[mode]):
                t = now()
                c.execute("REFRESH MATERIALIZED VIEW mv")
                conn.commit()
                refresh.append(now() - t)
            c.execute("SELECT count(*) FROM orders")
            n_orders = c.fetchone()[0]
        conn.close()
        con = duck()
        con.execute(DECLARED)
        duck_load(con, "customers", p.table_rows("customers"))
        duck_load(con, "orders", p.table_rows("orders"))
        duck_times = []
        for _ in range(REFRESHES[mode]):
            t = now()
            duck_recompute(con, QUERY)
            duck_times.append(now() - t)

    lat = summary(latencies)
    section = {
        "orders_at_start": SIZES[mode], "orders_at_end": n_orders, "snapshot_seconds": round(cpu["snapshot_wall"], 3),
        "latency": {**lat, "rate_per_s": RATE, "p50_us": lat["median_us"]},
        "throughput": {"rows": total, "rows_per_tx": TX_ROWS, "wall_s": round(wall, 3),
                       "rows_per_s": round(total / wall), "writer_wall_s": round(write_wall, 3),
                       "follower_cpu_s": round(follower_cpu, 3),
                       "rows_per_cpu_s": round(total / follower_cpu) if follower_cpu > 0 else None},
        "catch_up": {"rows": total, "wall_s": round(catch_wall, 3), "rows_per_s": round(total / catch_wall),
                     "cpu_s": round(catch_cpu, 3), "rows_per_cpu_s": round(total / catch_cpu)},
        "refresh_materialized_view": summary(refresh),
        "duckdb_rerun": summary(duck_times),
    }
    print(table(["measure", "value"], [
        ["COMMIT → view change, p50", fmt_us(lat["median_us"])],
        ["COMMIT → view change, p99", fmt_us(lat["p99_us"])],
        ["sustained CDC rows/s (wall)", f"{section['throughput']['rows_per_s']:,}"],
        ["follower CPU s for those rows", section["throughput"]["follower_cpu_s"]],
        ["catch-up rows/s (wall), WAL already written", f"{section['catch_up']['rows_per_s']:,}"],
        ["catch-up rows per CPU second", f"{section['catch_up']['rows_per_cpu_s']:,}"],
        [f"REFRESH MATERIALIZED VIEW, {n_orders:,} orders (median)", fmt_us(section["refresh_materialized_view"]["median_us"])],
        ["DuckDB re-running the query (median)", fmt_us(section["duckdb_rerun"]["median_us"])],
    ]))
    return section


class _Opened:
    """A source already opened (and its snapshot applied), for follow() to read on from there."""

    def __init__(self, source):
        self.source = source
        self.groups = source.groups

    def open(self, pipeline) -> None:
        pass

    def read(self, timeout):
        return self.source.read(timeout)

    @property
    def done(self) -> bool:
        return self.source.done

    def confirm(self, position) -> None:
        self.source.confirm(position)

    def close(self) -> None:
        self.source.close()


def _wait(done, error, limit: float = 600.0) -> None:
    t = now()
    while not done():
        if error:
            raise error[0]
        if now() - t > limit:
            raise TimeoutError("the follower did not catch up")
        time.sleep(0.002)


def main(argv=None) -> dict:
    return main_for("cdc", run, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
