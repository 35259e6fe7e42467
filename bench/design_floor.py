"""Workload: the floor of issue 18's one-row goal — what the design does with nothing around it.

The same state as the pipeline keeps for join_group (``SELECT c.region, COUNT(*), SUM(o.amount) FROM
orders o JOIN customers c ON o.c_id = c.c_id GROUP BY c.region``): the orders' primary-key index, the
join's arrangement of orders by c_id (a list per key), the customers' index, each region's running
COUNT and SUM, and the view's delta of each change (-old +new group row).  Here it is two plain
functions, ``insert(row)`` and ``delete(row)``, written by hand: no API call, no lock, no queue, no
step, no generated code, no report.  Timed as bench.headline times the pipeline (the same data, the
same script of one-row changes: a new order inserted, a random live one deleted, alternating; CPU
median per change after a warm-up), and the pipeline timed in the same run, per size.  The
difference is what the engine adds around the design (``engine_us``); the floor's growth from the
smallest size to the largest is what memory costs the design itself (cache and TLB misses in dicts of
up to 1M entries), which no engine change removes."""

from __future__ import annotations

from . import data
from .common import Timings, clock, fresh_gc, main_for, since, summary, table
from .headline import WARMUP, change_join_group
from .latency import change_script

SIZES = {"full": (10_000, 1_000_000), "quick": (10_000, 200_000), "smoke": (2_000,)}
CHANGES = {"full": 6000, "quick": 3000, "smoke": 200}
ROUNDS = {"full": 2, "quick": 1, "smoke": 1}


def floor(n: int, changes: int) -> float:
    """Median CPU µs of a hand-fused one-row change over the state of ``n`` orders."""
    nc = data.n_customers(n)
    gen = data.Orders(nc)
    customers = {c[0]: c for c in data.customers(nc)}
    orders = gen.make(n)
    index: dict = {}
    by_customer: dict = {}
    for r in orders:
        index[r[0]] = r
        by_customer.setdefault(r[1], []).append(r)

    def tally(rows) -> dict:
        """{region: [COUNT, SUM(amount)]} of ``rows`` joined with the customers, from scratch."""
        out: dict = {}
        for r in rows:
            c = customers.get(r[1])
            if c is not None:
                g = out.setdefault(c[2], [0, 0])
                g[0] += 1
                g[1] += r[2]
        return out

    groups = tally(orders)
    delta: dict = {}

    def insert(row):
        if row[0] in index:
            raise KeyError(row[0])
        index[row[0]] = row
        bucket = by_customer.get(row[1])
        if bucket is None:
            by_customer[row[1]] = [row]
        else:
            bucket.append(row)
        c = customers.get(row[1])
        delta.clear()
        if c is not None:
            g = groups.get(c[2])
            if g is None:
                g = groups[c[2]] = [0, 0]
            else:
                delta[(c[2], g[0], g[1])] = -1
            g[0] += 1
            g[1] += row[2]
            delta[(c[2], g[0], g[1])] = 1
        return delta

    def delete(row):
        held = index.get(row[0])
        if held is None or held != row:
            raise KeyError(row[0])
        del index[row[0]]
        bucket = by_customer[row[1]]
        bucket.remove(row)
        if not bucket:
            del by_customer[row[1]]
        c = customers.get(row[1])
        delta.clear()
        if c is not None:
            g = groups[c[2]]
            delta[(c[2], g[0], g[1])] = -1
            g[0] -= 1
            g[1] -= row[2]
            if g[0]:
                delta[(c[2], g[0], g[1])] = 1
            else:
                del groups[c[2]]
        return delta

    script = change_script(gen, orders, changes)
    times = Timings()
    fresh_gc()
    for kind, row in script:
        t = clock()
        (insert if kind == "insert" else delete)(row)
        times.add(since(t))
    # the state is the view's: its groups recomputed from the live orders
    assert groups == tally(index.values()) and sum(map(len, by_customer.values())) == len(index), \
        "the floor lost a change"
    return summary(times[WARMUP:])["cpu_median_us"]


def run(mode: str) -> dict:
    res: dict = {"sizes": {}}
    for rnd in range(ROUNDS[mode]):
        for n in SIZES[mode]:
            # alternating which goes first, so that a change in the machine's load hits both
            order = ("floor", "pipeline") if rnd % 2 == 0 else ("pipeline", "floor")
            got = {}
            for what in order:
                got[what] = floor(n, CHANGES[mode]) if what == "floor" else change_join_group(n, CHANGES[mode])
            res["sizes"].setdefault(str(n), []).append(got)
            print(f"  {n:>9,} orders: floor {got['floor']:.2f} µs, pipeline {got['pipeline']:.2f} µs CPU per change",
                  flush=True)
    rows = []
    for n, runs in res["sizes"].items():
        f = min(r["floor"] for r in runs)
        p = min(r["pipeline"] for r in runs)
        res.setdefault("best", {})[n] = {"floor_us": f, "pipeline_us": p, "engine_us": round(p - f, 2)}
        rows.append([f"{int(n):,}", f"{f:.2f}", f"{p:.2f}", f"{p - f:.2f}"])
    print(table(["orders", "floor µs (hand-fused)", "pipeline µs", "engine µs (the difference)"], rows), flush=True)
    return res


def main(argv=None):
    return main_for("design_floor", run, __doc__, argv)


if __name__ == "__main__":
    main()
