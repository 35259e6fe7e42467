"""TRY(e) differentially against DuckDB under random streams: e for the rows where it computes, NULL for
the rows where it fails (integer overflow, a cast, an integer division by zero), in SELECT, WHERE,
GROUP BY keys and aggregates; a failing expression outside TRY still fails the step in both engines."""


from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, a INT, b INT, s VARCHAR)"
DOMAINS = {"id": list(range(12)), "a": [2147483647, 1, 0, -2147483647, 100000], "b": [1, 0, -1, 100000],
           "s": ["12", "x", "300", "-7"]}
SPEC = Spec(DDL, {
    "v_select": "SELECT id, TRY(a + b) AS s, TRY(a * b) AS p, TRY(a // b) AS q, TRY(CAST(s AS TINYINT)) AS c FROM t",
    "v_where": "SELECT id, a, b FROM t WHERE TRY(a * b) IS NULL",
    "v_group": "SELECT TRY(CAST(s AS INT)) AS k, COUNT(*) AS n, SUM(TRY(a * b)) AS total FROM t GROUP BY 1",
    "v_nested": "SELECT id, COALESCE(TRY(a * b * b), -1) AS v FROM t",
}, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.2)


test_try = streams_test(SPEC, 12)


def test_fixed_stream_and_an_error_outside_try():
    rows = [(1, 2147483647, 1, "x"), (2, 1, 0, "12"), (3, None, 5, None)]
    check_steps(SPEC, [[("+", "t", r) for r in rows], [("-", "t", rows[0])], RETRACT_ALL])
    failing = Spec(DDL, {"v": "SELECT id, a + b AS s FROM t"}, domains=DOMAINS, keys={"t": ("id",)})
    check_steps(failing, [[("+", "t", (1, 1, 1, "x"))], [("+", "t", rows[0])], RETRACT_ALL])
