"""Churn: inserting and deleting the same rows 10,000 times keeps memory flat and leaves no state behind."""

from __future__ import annotations

import gc
import tracemalloc

from deltasql.runtime import Circuit
from deltasql.runtime.aggregates import CountStar, Min, Reducer, StringAgg, Sum
from deltasql.runtime.operators import Aggregate, Arrange, Distinct, Input, Join, Map, Output

from runtime_support import LONG, assert_clean, closure, closure_scope

CYCLES = 10_000
WARMUP = 300
ROWS = {(0, 1): 1, (1, 2): 2, (2, 0): 1, (2, 3): 1}  # a cycle, a tail and a duplicate


def build():
    c = Circuit()
    e = c.add(Input("E"))
    by_dst = c.add(Arrange(e, lambda r: (r[1],)))
    by_src = c.add(Arrange(e, lambda r: (r[0],)))
    outs = {
        "paths2": c.add(Output(c.add(Join(by_dst, by_src, lambda a, b: (a[0], b[1]))))),
        "agg": c.add(Output(c.add(Aggregate(
            e, lambda r: (r[0],),
            Reducer([CountStar(), Min(), Sum("float"), StringAgg(",")],
                    [lambda r: 1, lambda r: r[1], lambda r: r[1] / 3, lambda r: (r[1], str(r[1]))]))))),
        "sources": c.add(Output(c.add(Distinct(c.add(Map(e, lambda r: (r[0],))))))),
        "tc": c.add(Output(closure_scope(c, e))),
    }
    return c, e, outs


def test_churn_memory_flat_and_state_empty():
    c, e, outs = build()
    inserted = {}
    gone = {r: -w for r, w in ROWS.items()}
    cycles = CYCLES * (3 if LONG else 1)
    tracemalloc.start()
    try:
        for n in range(cycles):
            e.feed(ROWS)
            c.step()
            if n == 0:
                inserted = {k: dict(o.contents) for k, o in outs.items()}
                assert inserted["tc"] == {p: 1 for p in closure(ROWS)}
                assert inserted["sources"] == {(0,): 1, (1,): 1, (2,): 1}
            e.feed(gone)
            c.step()
            if n == WARMUP:
                gc.collect()
                base = tracemalloc.get_traced_memory()[0]
                snap = tracemalloc.take_snapshot()
            if n % 997 == 0:
                assert all(not o.contents for o in outs.values()), n
        e.feed(ROWS)
        c.step()
        assert {k: o.contents for k, o in outs.items()} == inserted  # still right after all that churn
        e.feed(gone)
        c.step()
        gc.collect()
        end = tracemalloc.get_traced_memory()[0]
        growth = end - base
        if growth > 16_384:
            top = tracemalloc.take_snapshot().compare_to(snap, "lineno")[:8]
            raise AssertionError(f"memory grew by {growth} bytes over {cycles - WARMUP} cycles:\n"
                                 + "\n".join(map(str, top)))
    finally:
        tracemalloc.stop()
    assert all(not o.contents for o in outs.values())
    assert_clean(c)
