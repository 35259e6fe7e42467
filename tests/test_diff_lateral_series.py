"""FROM a, generate_series(lo, a.x) / range(a.x): a series over an earlier FROM item's columns (one
series per row, compiler/frontend.py writes it as UNNEST of the series list) against DuckDB under
random streams with duplicates, NULLs and a final retraction, also on three simulated workers."""


from tests.harness import RETRACT_ALL, Spec, check_steps, seeds_test, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, lo INT, hi INT)"
VIEWS = {
    "v_series": "SELECT id, y FROM t, generate_series(1, hi) AS s(y)",
    "v_range_step": "SELECT id, g FROM t, range(lo, hi, 2) g",
    "v_unnamed": "SELECT * FROM t, generate_series(lo, hi)",
    "v_sum": "SELECT lo, SUM(r) AS s, COUNT(*) AS n FROM t, range(hi) AS q(r) GROUP BY lo",
    "v_left": "SELECT id, y FROM t LEFT JOIN generate_series(lo, hi) AS s(y) ON true",
    "v_derived": "SELECT x, y FROM (SELECT hi - lo AS x FROM t) AS d(x), generate_series(0, x) AS e(y)",
}
SPEC = Spec(DDL, VIEWS, domains={"id": list(range(8)), "lo": [-1, 0, 2], "hi": [0, 1, 3, 4]},
            keys={"t": ("id",)}, null_rate=0.2)


test_lateral_series = streams_test(SPEC, 10)


def test_fixed_stream():
    rows = [(1, 0, 3), (2, 0, 3), (3, None, 2), (4, 2, 0), (5, -1, None)]
    check_steps(SPEC, [[("+", "t", r) for r in rows], [("-", "t", rows[0])], RETRACT_ALL])


test_three_workers = seeds_test(SPEC, [1, 2], workers=3)
