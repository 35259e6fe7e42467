"""Differential tests of outer joins (LEFT, RIGHT, FULL; with residual and non-equi conditions) against DuckDB."""


from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = ("CREATE TABLE r(k INT, a INT, s VARCHAR); CREATE TABLE u(k INT, b INT, s VARCHAR); "
       "CREATE TABLE w(k INT NOT NULL, c DECIMAL(8,2))")
DOMAINS = {"k": [1, 2, 3, 0, 4], "a": [1, 2, 3, 0, -1], "b": [1, 2, 3, 0, -1], "s": ["a", "b", "ab", ""]}


def spec(views, **kw):
    return Spec(DDL, views, **{"domains": DOMAINS, **kw})


SPECS = {
    "outer": spec({
        "v_left": "SELECT r.k, r.a, u.b FROM r LEFT JOIN u ON r.k = u.k",
        "v_right": "SELECT r.a, u.k, u.b FROM r RIGHT JOIN u ON r.k = u.k",
        "v_full": "SELECT r.k AS rk, u.k AS uk, r.a, u.b FROM r FULL JOIN u ON r.k = u.k",
        "v_left_where": "SELECT r.k, r.a, u.b FROM r LEFT JOIN u ON r.k = u.k WHERE u.b IS NULL",
        "v_left_chain": "SELECT r.k, u.b, w.c FROM r LEFT JOIN u ON r.k = u.k LEFT JOIN w ON u.k = w.k",
        "v_left_agg": "SELECT r.k, COUNT(u.b) AS n, SUM(u.b) AS s, COUNT(*) AS c FROM r LEFT JOIN u ON r.k = u.k "
                      "GROUP BY r.k",
        "v_coalesce": "SELECT COALESCE(r.k, u.k) AS k, r.a, u.b FROM r FULL JOIN u ON r.k = u.k "
                      "WHERE COALESCE(r.a, 0) >= 0",
        "v_left_sub": "SELECT r.k, x.m FROM r LEFT JOIN (SELECT k, MAX(b) AS m FROM u GROUP BY k) x ON r.k = x.k",
    }),
    "outer_residual": spec({
        "v_left_res": "SELECT r.k, r.a, u.b FROM r LEFT JOIN u ON r.k = u.k AND u.b > 1",
        "v_left_res_left": "SELECT r.k, r.a, u.b FROM r LEFT JOIN u ON r.k = u.k AND r.a > 1",
        "v_right_res": "SELECT r.a, u.k, u.b FROM r RIGHT JOIN u ON r.k = u.k AND r.a < u.b",
        "v_full_res": "SELECT r.k AS rk, u.k AS uk, r.a, u.b FROM r FULL OUTER JOIN u ON r.k = u.k AND r.a < u.b",
        "v_left_nonequi": "SELECT r.a, u.b FROM r LEFT JOIN u ON r.a < u.b",
        "v_full_or": "SELECT r.a, u.b FROM r FULL JOIN u ON r.a = u.b OR r.k = u.k",
        "v_left_const": "SELECT r.k, u.b FROM r LEFT JOIN u ON u.b = 2",
        "v_left_true": "SELECT r.k, u.b FROM r LEFT JOIN u ON TRUE",
        "v_left_false": "SELECT r.k, u.b FROM r LEFT JOIN u ON FALSE",
    }),
}


test_outer_joins = streams_test(SPECS, 12)


def test_null_padding_comes_and_goes():
    """A LEFT row is NULL-padded while it has no match, loses the padding when a match arrives (also one
    that only matches the residual condition), and gets it back when the last match leaves."""
    s = spec({"l": "SELECT r.k, r.a, u.b FROM r LEFT JOIN u ON r.k = u.k AND u.b > 0",
              "f": "SELECT r.k AS rk, u.k AS uk, u.b FROM r FULL JOIN u ON r.k = u.k AND u.b > 0"})
    check_steps(s, [
        [("+", "r", (1, 1, "a")), ("+", "r", (1, 1, "a"))],
        [("+", "u", (1, 0, "x"))],                       # key matches, residual does not
        [("+", "u", (1, 2, "y")), ("+", "u", (1, 3, "z"))],
        [("-", "u", (1, 2, "y"))],
        [("-", "u", (1, 3, "z")), ("+", "u", (1, 3, "z")), ("-", "u", (1, 0, "x"))],
        [("-", "u", (1, 3, "z"))],
        RETRACT_ALL,
    ])
