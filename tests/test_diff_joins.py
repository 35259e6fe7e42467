"""Differential tests of inner joins (inner, cross, USING, NATURAL, self, comma, non-equi, subqueries in FROM,
WITH, VALUES, views over views) and SEMI / ANTI joins against DuckDB."""


from tests.harness import Spec, ViewSpec, streams_test

DDL = ("CREATE TABLE r(k INT, a INT, s VARCHAR); CREATE TABLE u(k INT, b INT, s VARCHAR); "
       "CREATE TABLE w(k INT NOT NULL, c DECIMAL(8,2))")
DOMAINS = {"k": [1, 2, 3, 0, 4], "a": [1, 2, 3, 0, -1], "b": [1, 2, 3, 0, -1], "s": ["a", "b", "ab", ""]}


def spec(views, **kw):
    return Spec(DDL, views, domains=DOMAINS, **kw)


SPECS = {
    "inner": spec({
        "v_inner": "SELECT r.k, r.a, u.b FROM r JOIN u ON r.k = u.k",
        "v_two_keys": "SELECT r.a, u.b, r.s FROM r INNER JOIN u ON r.k = u.k AND r.s = u.s",
        "v_cross": "SELECT r.a, u.b FROM r CROSS JOIN u",
        "v_comma": "SELECT r.a, u.b FROM r, u WHERE r.k = u.k AND r.a <> u.b",
        "v_three": "SELECT r.k, u.b, w.c FROM r JOIN u ON r.k = u.k JOIN w ON w.k = u.k",
        "v_null_keys": "SELECT r.s, u.s AS s2 FROM r JOIN u ON r.s = u.s",
        "v_expr_key": "SELECT r.a, u.b FROM r JOIN u ON r.k + 1 = u.k",
    }),
    "using_natural": spec({
        "v_using": "SELECT k, a, b FROM r JOIN u USING (k)",
        "v_using2": "SELECT * FROM r JOIN u USING (k, s)",
        "v_natural": "SELECT * FROM r NATURAL JOIN u",
        "v_left_using": "SELECT k, a, b FROM r LEFT JOIN u USING (k)",
        "v_full_using": "SELECT k, a, b FROM r FULL JOIN u USING (k)",
        "v_natural_left": "SELECT * FROM r NATURAL LEFT JOIN u",
    }),
    "self_nonequi": spec({
        "v_self": "SELECT x.k, x.a, y.a AS a2 FROM r x JOIN r y ON x.k = y.k AND x.a < y.a",
        "v_nonequi": "SELECT r.a, u.b FROM r JOIN u ON r.a < u.b",
        "v_mixed": "SELECT r.k, r.a, u.b FROM r JOIN u ON r.k = u.k AND r.a + u.b > 2",
        "v_or": "SELECT r.k, u.k AS uk FROM r JOIN u ON r.k = u.k OR r.a = u.b",
        "v_not_distinct": "SELECT r.a, u.b FROM r JOIN u ON r.a IS NOT DISTINCT FROM u.b",
        "v_self3": "SELECT x.k FROM r x, r y, r z WHERE x.a = y.k AND y.a = z.k",
    }),
    "subqueries_in_from": spec({
        "v_sub": "SELECT x.k, x.n, u.b FROM (SELECT k, COUNT(*) AS n FROM r GROUP BY k) x JOIN u ON x.k = u.k",
        "v_with": "WITH x AS (SELECT k, a FROM r WHERE a > 0), y AS (SELECT k, b FROM u) "
                  "SELECT x.k, a, b FROM x JOIN y ON x.k = y.k",
        "v_values": "SELECT r.a, v.name FROM r JOIN (VALUES (1, 'one'), (2, 'two'), (NULL, 'null')) AS v(k, name) "
                    "ON r.k = v.k",
        "v_values_only": "SELECT * FROM (VALUES (1, 'x'), (2, 'y'), (2, 'y')) AS v(a, b) WHERE a > 1",
        "v_with_twice": "WITH x AS (SELECT k, a FROM r) SELECT x1.a, x2.a AS a2 FROM x x1 JOIN x x2 ON x1.k = x2.a",
    }),
    "semi_anti": spec({  # DuckDB's SEMI / ANTI JOIN: [NOT] EXISTS over the right side, its columns unseen
        "v_semi": "SELECT * FROM r SEMI JOIN u ON r.k = u.k",
        "v_anti": "SELECT * FROM r ANTI JOIN u ON r.k = u.k",
        "v_semi_using": "SELECT k, a FROM r SEMI JOIN u USING (k)",
        "v_anti_residual": "SELECT r.a, r.s FROM r ANTI JOIN u ON r.k = u.k AND u.b > r.a",
        "v_semi_nonequi": "SELECT r.k, r.a FROM r SEMI JOIN u ON r.a < u.b",
        "v_semi_not_distinct": "SELECT r.s FROM r SEMI JOIN u ON r.s IS NOT DISTINCT FROM u.s",
        "v_semi_then_join": "SELECT r.k, w.c FROM r SEMI JOIN u ON r.k = u.k JOIN w ON w.k = r.k",
        "v_anti_grouped": "SELECT r.k, COUNT(*) AS n FROM r ANTI JOIN w ON r.k = w.k GROUP BY r.k",
        "v_semi_left": "SELECT r.k, u.b FROM r SEMI JOIN w ON w.k = r.k LEFT JOIN u ON u.k = r.k",
    }),
    "views_over_views": spec({
        "base": "SELECT r.k, r.a, u.b FROM r JOIN u ON r.k = u.k",
        "upper": "SELECT base.k, base.a, w.c FROM base JOIN w ON base.k = w.k",
        "agg": "SELECT k, COUNT(*) AS n, SUM(b) AS sb FROM base GROUP BY k",
        "late": ViewSpec("SELECT a.k, a.n, b.b FROM agg a LEFT JOIN base b ON a.k = b.a", create_at=3),
    }),
    "drop_shared": spec({  # views sharing a join's arrangements; some are dropped and re-created mid-stream
        "j1": ViewSpec("SELECT r.k, r.a, u.b FROM r JOIN u ON r.k = u.k", drop_at=2),
        "j2": "SELECT r.k, u.b FROM r JOIN u ON r.k = u.k WHERE u.b > 0",
        "j3": ViewSpec("SELECT r.k, COUNT(*) AS n FROM r JOIN u ON r.k = u.k GROUP BY r.k", create_at=1, drop_at=4),
        "j4": ViewSpec("SELECT r.k, r.a, u.b FROM r JOIN u ON r.k = u.k", create_at=3),
        "l1": ViewSpec("SELECT r.k, u.b FROM r LEFT JOIN u ON r.k = u.k", drop_at=3),
        "l2": "SELECT r.k, u.b, r.s FROM r LEFT JOIN u ON r.k = u.k",
    }),
    # a side keyed by its whole primary key is arranged {key: row} (runtime/arrangement.py unique);
    # a side that picks columns of a table is arranged unprojected (compiler/lower._stored_rows)
    "primary_keys": Spec(
        "CREATE TABLE o(id INT PRIMARY KEY, c INT, x INT); CREATE TABLE c(c INT PRIMARY KEY, g VARCHAR, y INT); "
        "CREATE TABLE p(a INT, b VARCHAR, v INT, PRIMARY KEY (a, b))", {
            "v_group": "SELECT c.g, COUNT(*) AS n, SUM(o.x) AS sx FROM o JOIN c ON o.c = c.c GROUP BY c.g",
            "v_rows": "SELECT o.id, c.g, c.y FROM o JOIN c ON o.c = c.c WHERE c.y > 0",
            "v_left": "SELECT c.c, c.g, COUNT(o.id) AS n FROM c LEFT JOIN o ON o.c = c.c GROUP BY c.c, c.g",
            "v_self": "SELECT a.id, b.x FROM o a JOIN o b ON a.c = b.id",
            "v_residual": "SELECT o.id, c.y FROM o JOIN c ON o.c = c.c AND o.x < c.y",
            "v_composite": "SELECT o.id, p.v FROM o JOIN p ON p.a = o.c AND p.b = 'k'",
            "v_composite_all": "SELECT q.v, p.v AS v2 FROM p q JOIN p ON q.a = p.v AND q.b = p.b",
            "v_three": "SELECT o.id, c.g, p.v FROM o JOIN c ON o.c = c.c JOIN p ON p.a = c.y",
        }, domains={"id": list(range(12)), "c": [0, 1, 2, 3], "x": [0, 1, 2, None], "g": ["k", "l"],
                    "y": [0, 1, 2, None], "a": [0, 1, 2], "b": ["k", "l"], "v": [0, 1, 2, None]},
        keys={"o": ("id",), "c": ("c",), "p": ("a", "b")}, upsert=True),
}


test_joins = streams_test(SPECS, 12)
