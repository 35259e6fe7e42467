"""Differential tests of the sqlite dialect, against DuckDB set to SQLite's arithmetic
(integer division, NULL on division by zero) with SQLite-only syntax rewritten for DuckDB."""


from tests.harness import RETRACT_ALL, SQLITE_SETTINGS, Spec, ViewSpec, check_steps, streams_test

DDL = "CREATE TABLE t(a INTEGER, b INTEGER, d DOUBLE, m DECIMAL(10,2), s TEXT, g INTEGER)"
ORACLE_DDL = DDL.replace("DECIMAL(10,2)", "DOUBLE")  # SQLite's DECIMAL is a floating-point number
DOMAINS = {"a": [1, 2, 0, -7, 5, 3, 9], "b": [2, -3, 1, 4, 7], "g": [1, 2], "m": [1.5, 2.25, -0.5, 3.0, 0.1],
           "s": ["a", "B", "ab", "Ab", "", "b%"]}
WITH_ZERO = {**DOMAINS, "b": [2, 0, -3, 1, 4]}


def spec(views, **kw):
    return Spec(DDL, views, **{"dialect": "sqlite", "settings": SQLITE_SETTINGS, "oracle_ddl": ORACLE_DDL,
                               "domains": DOMAINS, **kw})


SPECS = {
    "arithmetic": spec({
        "v_div": "SELECT a / b AS q, a % b AS r, d / b AS fd, a / 2 AS h, -7 / 2 AS c1, -7 % 3 AS c2, a / -2 AS n FROM t",
        "v_mixed": "SELECT a / d AS x, d / 2 AS y, 7 / 2.0 AS z, m * 2 AS m2, m / 4 AS m4, a + m AS am FROM t",
        "v_agg": "SELECT g, SUM(a) AS s, AVG(a) AS av, COUNT(*) AS n, SUM(a) / COUNT(*) AS q, MIN(s) AS ms, "
                 "MAX(d) AS md, SUM(m) AS sm FROM t GROUP BY g",
    }),
    "modulo_by_zero": spec({  # SQLite: x % 0 and x / 0.0 are NULL, not errors
        "v_mod0": "SELECT a, a % b AS r, d / b AS fd FROM t",
        "v_sum_mod0": "SELECT g, SUM(a % b) AS s FROM t GROUP BY g",
    }, domains=WITH_ZERO),
    "sqlite_syntax": spec({
        "v_like": ViewSpec("SELECT s, s LIKE 'a%' AS x, s NOT LIKE '%B' AS y FROM t",
                           oracle="SELECT s, s ILIKE 'a%' AS x, s NOT ILIKE '%B' AS y FROM t"),
        "v_where_int": ViewSpec("SELECT a FROM t WHERE a", oracle="SELECT a FROM t WHERE a <> 0"),
        "v_where_not_int": ViewSpec("SELECT a, b FROM t WHERE NOT a OR b", oracle="SELECT a, b FROM t WHERE NOT (a <> 0) OR b <> 0"),
        "v_cast": ViewSpec("SELECT d, CAST(d AS INTEGER) AS x FROM t", oracle="SELECT d, CAST(TRUNC(d) AS BIGINT) AS x FROM t"),
        "v_is": ViewSpec("SELECT a, b, a IS b AS same, a IS NOT b AS diff FROM t",
                         oracle="SELECT a, b, a IS NOT DISTINCT FROM b AS same, a IS DISTINCT FROM b AS diff FROM t"),
        "v_bool_sum": ViewSpec("SELECT g, SUM(a > 1) AS n FROM t GROUP BY g",
                               oracle="SELECT g, SUM(CAST(a > 1 AS INT)) AS n FROM t GROUP BY g"),
    }),
    "strings_case": spec({
        "v_str": "SELECT s || a AS c, LENGTH(s) AS l, UPPER(s) AS u, SUBSTR(s, 2) AS ss, INSTR(s, 'b') AS i, "
                 "IFNULL(s, 'z') AS f, REPLACE(s, 'a', 'x') AS r, TRIM(s) AS tr FROM t",
        "v_case": "SELECT CASE WHEN a > b THEN a ELSE b END AS m, COALESCE(a, b, 0) AS c, NULLIF(a, 0) AS n, "
                  "CASE a WHEN 1 THEN 'one' ELSE 'other' END AS w FROM t",
        "v_cmp": "SELECT a < b AS lt, a = b AS eq, a <> b AS ne, ROUND(d) AS r, ROUND(d, 1) AS r1, ABS(a) AS ab FROM t",
    }),
    "relational": spec({
        "v_join": "SELECT x.a, y.b FROM t x JOIN t y ON x.a = y.b",
        "v_sub": "SELECT a FROM t WHERE a NOT IN (SELECT b FROM t WHERE b IS NOT NULL) "
                 "AND EXISTS (SELECT 1 FROM t t2 WHERE t2.g = t.g AND t2.b > t.a)",
        "v_setop": "SELECT a FROM t UNION SELECT b FROM t EXCEPT SELECT g FROM t",
        "v_topk": ViewSpec("SELECT a FROM t ORDER BY a DESC LIMIT 3", columns=(0,), ordered=True),
        "v_rec": "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 4) "
                 "SELECT c.n, COUNT(t.a) AS k FROM c LEFT JOIN t ON t.a / 2 = c.n GROUP BY c.n",
    }),
}


test_sqlite = streams_test(SPECS, 12)


def test_int_div_zero():
    """SQLite: integer division by zero is NULL."""
    s = spec({"v": "SELECT a, a / b AS q FROM t", "w": "SELECT g, SUM(a / b) AS s FROM t GROUP BY g"})
    check_steps(s, [[("+", "t", (1, 0, None, None, None, 1)), ("+", "t", (4, 2, None, None, None, 1))],
                    [("-", "t", (1, 0, None, None, None, 1))], RETRACT_ALL])
