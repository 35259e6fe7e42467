"""Window functions recomputed only around a change (runtime/operators/window.py, windows.reach):
ROW_NUMBER, RANK, LAG/LEAD and ROWS frames with offsets, differential against DuckDB under random
change streams -- unique rows (the partial path) and duplicate rows (whole partitions) -- and a
direct check that the partial path gives the same output deltas as recomputing whole partitions."""

import random

import pytest

from deltasql.runtime import Circuit
from deltasql.runtime import windows as W
from deltasql.runtime.aggregates import Sum
from deltasql.runtime.operators import Input, Output
from deltasql.runtime.operators.window import Window
from tests.harness import Spec, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT, s VARCHAR)"
DOMAINS = {"id": list(range(14)), "g": [1, 2], "x": [1, 2, 3, 0, -1, 5]}
VIEWS = {
    "lag_lead": "SELECT id, LAG(x) OVER (ORDER BY id) AS lg, LAG(x, 2, -9) OVER (ORDER BY id) AS lg2, "
                "LEAD(id) OVER (ORDER BY id) AS ld FROM t",
    "lag_part": "SELECT id, g, LAG(x, 1) OVER (PARTITION BY g ORDER BY x NULLS FIRST, id) AS lg FROM t",
    "sliding": "SELECT id, SUM(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s3, "
               "COUNT(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS c3, "
               "MAX(x) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) AS m2 FROM t",
    "frame_values": "SELECT id, FIRST_VALUE(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS fv, "
              "LAST_VALUE(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) AS lv FROM t",
    "numbers": "SELECT id, ROW_NUMBER() OVER (PARTITION BY g ORDER BY x, id) AS rn, "
               "RANK() OVER (PARTITION BY g ORDER BY x) AS rk FROM t",
    "mixed": "SELECT id, RANK() OVER (ORDER BY x DESC) AS rk, LAG(id) OVER (ORDER BY x DESC, id) AS lg FROM t",
}
DUP_VIEWS = {  # duplicate rows: whole partitions; RANK and ROWS frames over ties of whole rows
    "rank_dups": "SELECT g, x, RANK() OVER (PARTITION BY g ORDER BY x) AS rk FROM t",
    "count_rows": "SELECT g, x, COUNT(*) OVER (PARTITION BY g ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) "
                  "AS n FROM t WHERE x IS NOT NULL",
}
UNREAD_VIEWS = {  # columns below a window that nothing reads, functions of kept columns: never evaluated (#55)
    "failing_constant": "SELECT c0 FROM (SELECT id AS c0, g, CAST(CAST('nan' AS DOUBLE) AS INT) AS bad FROM t) "
                        "QUALIFY COUNT(*) OVER (PARTITION BY g) > 0",
    "failing_on_a_kept_column": "SELECT id, rn FROM (SELECT id, x, CAST(CAST('nan' AS DOUBLE) + id AS INT) AS bad, "
                                "ROW_NUMBER() OVER (ORDER BY id) AS rn FROM t)",
    "computed_unread": "SELECT id, lg FROM (SELECT id, x, x * 2 + id AS y, LAG(x) OVER (ORDER BY id) AS lg FROM t)",
}
SPECS = {
    "unique": Spec(DDL, VIEWS, domains=DOMAINS, keys={"t": ("id",)}),
    "unread_below_window": Spec(DDL, UNREAD_VIEWS, domains=DOMAINS, keys={"t": ("id",)}),
    "duplicates": Spec("CREATE TABLE t(g INT, x INT)", DUP_VIEWS, domains={"g": [1, 2], "x": [1, 2, 3]}),
}


test_window_reach = streams_test(SPECS, 15)


def _window(functions, whole: bool):
    c = Circuit()
    src = c.add(Input("t"))
    op = Window(src, lambda r: r[0] % 2, lambda r: (r[1], r), lambda r: (r[1],), functions)
    if whole:
        op.reach = None
    out = c.add(Output(c.add(op)))
    return c, src, out


@pytest.mark.parametrize("seed", range(5))
def test_partial_equals_whole(seed):
    """Same deltas, step by step, from the partial path and from recomputing whole partitions."""
    rnd = random.Random(seed)
    frames = [("rows", ("preceding", 2), ("current", None)), ("rows", ("following", 1), ("following", 3)),
              ("rows", ("preceding", 1), ("following", 1))]

    def functions():
        return [W.RowNumber(), W.Rank(), W.Shift(lambda r: r[1], 1), W.Shift(lambda r: r[0], -2, lambda r: -1),
                W.FrameAggregate(Sum("int"), lambda r: r[1], frames[0]),
                W.FrameValue(lambda r: r[0], "last", frames[1]), W.FrameAggregate(Sum("int"), lambda r: r[1], frames[2])]

    a, b = _window(functions(), False), _window(functions(), True)
    assert a[2].inputs[0].reach is not None
    live = set()
    for _ in range(60):
        delta = {}
        for _ in range(rnd.randrange(1, 5)):
            row = (rnd.randrange(40), rnd.randrange(6))
            if row in live and rnd.random() < 0.6:
                delta[row] = -1
                live.discard(row)
            elif row not in live:
                delta[row] = 1
                live.add(row)
        for c, src, _ in (a, b):
            src.feed(dict(delta))
            c.step()
        assert a[2].delta == b[2].delta
        assert a[2].contents == b[2].contents
