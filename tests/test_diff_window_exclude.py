"""Window frames with EXCLUDE (CURRENT ROW, GROUP, TIES, NO OTHERS; runtime/windows.py) against DuckDB
under random streams with duplicates, NULLs and a final retraction.  ROWS frames order by a unique
column last (DuckDB's order of tied rows is its own); RANGE frames and GROUP/TIES read peer groups,
which ties make, so their ORDER BY keeps ties."""


from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT)"
DOMAINS = {"id": list(range(14)), "g": [1, 2], "x": [1, 2, 3, 5]}

SPEC = Spec(DDL, {
    "v_rows": "SELECT id, SUM(x) OVER (PARTITION BY g ORDER BY x, id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING "
              "EXCLUDE CURRENT ROW) AS s, COUNT(x) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW "
              "EXCLUDE NO OTHERS) AS n FROM t",
    "v_range": "SELECT id, SUM(x) OVER (PARTITION BY g ORDER BY x RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW "
               "EXCLUDE TIES) AS s, COUNT(*) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING "
               "EXCLUDE GROUP) AS n FROM t",
    "v_minmax": "SELECT id, MIN(id) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING "
                "EXCLUDE GROUP) AS lo, MAX(id) OVER (PARTITION BY g ORDER BY x RANGE BETWEEN CURRENT ROW AND "
                "UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) AS hi FROM t",
    "v_values": "SELECT id, FIRST_VALUE(id) OVER (ORDER BY x, id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING "
                "EXCLUDE CURRENT ROW) AS f, LAST_VALUE(x) OVER (ORDER BY x RANGE BETWEEN CURRENT ROW AND "
                "UNBOUNDED FOLLOWING EXCLUDE GROUP) AS l, NTH_VALUE(x, 2) OVER (ORDER BY x, id ROWS BETWEEN "
                "UNBOUNDED PRECEDING AND CURRENT ROW EXCLUDE TIES) AS nv FROM t",
}, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.2)


test_exclude = streams_test(SPEC, 16)


def test_fixed_stream():
    rows = [(1, 1, 5), (2, 1, 5), (3, 2, None), (4, 1, 3), (5, 2, 3), (6, 1, 5)]
    check_steps(SPEC, [[("+", "t", r) for r in rows], [("-", "t", rows[1])], [("+", "t", (7, 2, 5))], RETRACT_ALL])
