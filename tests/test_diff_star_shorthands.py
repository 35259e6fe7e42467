"""DuckDB's GROUP BY * (GROUP BY ALL) and ORDER BY * (ORDER BY ALL) against DuckDB under random streams
with duplicates, NULLs and a final retraction (compiler/sugar.py rewrites them before binding)."""


from tests.harness import RETRACT_ALL, Spec, ViewSpec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT)"
SPEC = Spec(DDL, {
    "v_group_star": "SELECT g, SUM(x) AS s, COUNT(*) AS n FROM t GROUP BY *",
    "v_group_star_expr": "SELECT g % 2 AS parity, x, MAX(id) AS m FROM t GROUP BY * HAVING COUNT(*) > 1",
    "v_order_star": ViewSpec("SELECT g, x, id FROM t ORDER BY * DESC LIMIT 3", ordered=True),
    "v_order_star_grouped": ViewSpec("SELECT g, SUM(x) AS s FROM t GROUP BY 1 ORDER BY * LIMIT 2", ordered=True),
}, domains={"id": list(range(12)), "g": [1, 2, 3], "x": [0, 1, 5]}, keys={"t": ("id",)}, null_rate=0.2)


test_star_shorthands = streams_test(SPEC, 10)


def test_fixed_stream():
    rows = [(1, 1, 5), (2, 1, None), (3, None, 1), (4, 2, 1), (5, 2, 1)]
    check_steps(SPEC, [[("+", "t", r) for r in rows], [("-", "t", rows[3])], RETRACT_ALL])
