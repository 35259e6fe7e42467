"""Workload: the floor of issue 18's one-row goal, and where a change's time goes between it and the
pipeline.

The same state as the pipeline keeps for join_group (``SELECT c.region, COUNT(*), SUM(o.amount) FROM
orders o JOIN customers c ON o.c_id = c.c_id GROUP BY c.region``): the orders' primary-key index, the
join's arrangement of orders by c_id (a list per key), the customers' index, each region's running
COUNT and SUM, and the view's delta of each change (-old +new group row).  The same script of one-row
changes (a new order inserted, a random live one deleted, alternating; CPU per change, timed as
bench.headline times the pipeline) runs through four layers, from nothing around the design to the
whole API:

- ``floor``: the design hand-fused into two plain functions, ``insert(row)`` and ``delete(row)``: no
  API call, lock, queue, step or report;
- ``generated``: the code the compiler generates for this view, called directly: the table's one-row
  insert or delete (engine/one_row.py: its type checks, its key index, its queue) and the fused step
  (runtime/fused.py: the join and the groups in one loop, the step's undo journal, the view's
  contents), then the table's commit;
- ``bare_api``: ``generated`` inside the least an API does: a lock around each call, the table looked
  up by name, the step counted and its answer made ({view: [(row, weight), …]}); no check of any kind
  (a closed pipeline, a transaction, a sharded or durable one, a second table changed, the answer's
  order);
- ``pipeline``: ``insert()``/``delete()`` then ``step()``, what a user calls (bench.headline's figure).

Per layer: the median of every change, of the inserts and of the deletes.  The floor's growth from the
smallest size to the largest is what memory costs the design itself (cache and TLB misses in dicts of
up to 1M entries), which no engine change removes; each layer's step over the one below it is what
that layer costs.  The median of alternating inserts and deletes sits where the two meet: with the
inserts faster, at the slowest of them.  Every layer ends with the view's groups (or the floor's)
checked against a recount of the live orders, so none can skip work."""

from __future__ import annotations

import statistics

from . import data
from .common import Timings, clock, fresh_gc, main_for, since, table
from .headline import WARMUP, loaded_join_group
from .latency import change_script

SIZES = {"full": (10_000, 1_000_000), "quick": (10_000, 200_000), "smoke": (2_000,)}
CHANGES = {"full": 6000, "quick": 3000, "smoke": 200}
ROUNDS = {"full": 2, "quick": 1, "smoke": 1}
LAYERS = ("floor", "generated", "bare_api", "pipeline")


def tally(rows, customers: dict) -> dict:
    """{region: [COUNT, SUM(amount)]} of ``rows`` joined with the customers, from scratch."""
    out: dict = {}
    for r in rows:
        c = customers.get(r[1])
        if c is not None:
            g = out.setdefault(c[2], [0, 0])
            g[0] += 1
            g[1] += r[2]
    return out


def medians(script: list, change) -> dict:
    """Median CPU µs per change of ``change(kind, row)`` over ``script``: of all, of the inserts, of
    the deletes (the first WARMUP changes not counted)."""
    kinds, times = [], Timings()
    fresh_gc()
    for kind, row in script:
        t = clock()
        change(kind, row)
        times.add(since(t))
        kinds.append(kind)
    cpu, kinds = times.cpu[WARMUP:], kinds[WARMUP:]
    return {"all": round(statistics.median(cpu) * 1e6, 2),
            **{k: round(statistics.median(c for c, kk in zip(cpu, kinds) if kk == k) * 1e6, 2)
               for k in ("insert", "delete")}}


def floor(n: int, changes: int) -> dict:
    """The hand-fused design over the state of ``n`` orders (see the module's docstring)."""
    nc = data.n_customers(n)
    gen = data.Orders(nc)
    customers = {c[0]: c for c in data.customers(nc)}
    orders = gen.make(n)
    index: dict = {}
    by_customer: dict = {}
    for r in orders:
        index[r[0]] = r
        by_customer.setdefault(r[1], []).append(r)
    groups = tally(orders, customers)
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

    out = medians(change_script(gen, orders, changes), lambda kind, row: (insert if kind == "insert" else delete)(row))
    assert groups == tally(index.values(), customers) and sum(map(len, by_customer.values())) == len(index), \
        "the floor lost a change"
    return out


def through_pipeline(layer: str, n: int, changes: int) -> dict:
    """The script through the pipeline's own code, from the generated code alone to the whole API."""
    from deltasql.runtime.fused import fused_step

    p, gen, orders = loaded_join_group(n)
    script = change_script(gen, orders, changes)
    t, view = p._tables["orders"], p._views["join_group"]
    step = fused_step(p.circuit, t.input)  # (what the pipeline's first one-row step makes, and keeps)
    assert t.insert_one is not None and getattr(step, "light", False), "no generated one-row path"

    def generated(kind, row):
        if not (t.insert_one if kind == "insert" else t.delete_one)(row, False):
            raise AssertionError(f"a row the generated {kind} does not take: {row!r}")
        t.input.pending = t.pending
        step(None)
        t.pending, t._fresh = {}, None  # (the keyed table's commit)

    lock, tables, views = p._lock, p._tables, p._views

    def bare_change(kind, row):
        lock.acquire()
        try:
            table = tables["orders"]
            if not (table.insert_one if kind == "insert" else table.delete_one)(row, False):
                raise AssertionError(f"a row the generated {kind} does not take: {row!r}")
        finally:
            lock.release()

    def bare_step():
        lock.acquire()
        try:
            t.input.pending = t.pending
            step(None)
            t.pending, t._fresh = {}, None
            answer = {}
            for name, v in views.items():
                if v.output.delta:
                    answer[name] = [*v.output.delta.items()]
            p.last_step += 1
            return answer
        finally:
            lock.release()

    def bare_api(kind, row):
        bare_change(kind, row)
        bare_step()

    def pipeline(kind, row):
        (p.insert if kind == "insert" else p.delete)("orders", [row])
        p.step()

    out = medians(script, {"generated": generated, "bare_api": bare_api, "pipeline": pipeline}[layer])
    customers = {c[0]: c for c in p.table_rows("customers")}
    want = {(k, c, s): 1 for k, (c, s) in tally(p.table_rows("orders"), customers).items()}
    assert dict(view.output.contents) == want, f"{layer}: the view's groups differ from a recount"
    p.close()
    return out


def run(mode: str) -> dict:
    res: dict = {"sizes": {}}
    for rnd in range(ROUNDS[mode]):
        for n in SIZES[mode]:
            # alternating the order of the layers, so that a change in the machine's load hits all
            got = {}
            for layer in (LAYERS if rnd % 2 == 0 else LAYERS[::-1]):
                got[layer] = floor(n, CHANGES[mode]) if layer == "floor" else through_pipeline(layer, n, CHANGES[mode])
            res["sizes"].setdefault(str(n), []).append(got)
            print(f"  {n:>9,} orders: " + ", ".join(f"{layer} {got[layer]['all']:.2f} µs (insert {got[layer]['insert']:.2f},"
                                                     f" delete {got[layer]['delete']:.2f})" for layer in LAYERS),
                  flush=True)
    rows = []
    for n, runs in res["sizes"].items():
        best = {layer: {k: min(r[layer][k] for r in runs) for k in ("all", "insert", "delete")} for layer in LAYERS}
        f, p = best["floor"]["all"], best["pipeline"]["all"]
        res.setdefault("best", {})[n] = {"floor_us": f, "pipeline_us": p, "engine_us": round(p - f, 2), "layers": best}
        rows.append([f"{int(n):,}"] + [f"{best[layer]['all']:.2f} ({best[layer]['insert']:.2f} / {best[layer]['delete']:.2f})"
                                       for layer in LAYERS])
    print(table(["orders"] + [f"{layer} µs (insert / delete)" for layer in LAYERS], rows), flush=True)
    return res


def main(argv=None):
    return main_for("design_floor", run, __doc__, argv)


if __name__ == "__main__":
    main()
