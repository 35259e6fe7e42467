"""Differential tests of subqueries (IN/NOT IN, EXISTS, scalar, correlated, ANY/ALL) against DuckDB."""


from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = "CREATE TABLE r(k INT, a INT, s VARCHAR); CREATE TABLE u(k INT, b INT, s VARCHAR)"
DOMAINS = {"k": [1, 2, 3, 0], "a": [1, 2, 3, 0, -1], "b": [1, 2, 3, 0, -1], "s": ["a", "b", "ab", ""]}


def spec(views, **kw):
    return Spec(DDL, views, **{"domains": DOMAINS, **kw})


SPECS = {
    "in": spec({
        "v_in": "SELECT k, a FROM r WHERE a IN (SELECT b FROM u)",
        "v_not_in": "SELECT k, a FROM r WHERE a NOT IN (SELECT b FROM u)",
        "v_in_select": "SELECT k, a, a IN (SELECT b FROM u) AS x, a NOT IN (SELECT b FROM u) AS y FROM r",
        "v_in_or": "SELECT k, a FROM r WHERE a IN (SELECT b FROM u) OR k = 0",
        "v_not_in_or": "SELECT k, a FROM r WHERE a NOT IN (SELECT b FROM u) OR k = 0",
        "v_not_in_str": "SELECT k, s FROM r WHERE s NOT IN (SELECT s FROM u WHERE u.k <> r.k)",
        "v_row_in": "SELECT k, a FROM r WHERE (k, a) IN (SELECT k, b FROM u)",
        "v_row_not_in": "SELECT k, a, (k, a) NOT IN (SELECT k, b FROM u) AS x FROM r",
    }),
    "in_correlated": spec({
        "v_in_corr": "SELECT k, a FROM r WHERE a IN (SELECT b FROM u WHERE u.k = r.k)",
        "v_not_in_corr": "SELECT k, a FROM r WHERE a NOT IN (SELECT b FROM u WHERE u.k = r.k)",
        "v_not_in_corr_sel": "SELECT k, a, a NOT IN (SELECT b FROM u WHERE u.k = r.k) AS x FROM r",
    }),
    "exists": spec({
        "v_exists": "SELECT k, a FROM r WHERE EXISTS (SELECT 1 FROM u WHERE u.k = r.k)",
        "v_not_exists": "SELECT k, a FROM r WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.k = r.k AND u.b > r.a)",
        "v_exists_uncorr": "SELECT k FROM r WHERE EXISTS (SELECT 1 FROM u WHERE b > 2)",
        "v_exists_select": "SELECT k, EXISTS (SELECT 1 FROM u WHERE u.k = r.k) AS e FROM r",
        "v_exists_or": "SELECT k, a FROM r WHERE EXISTS (SELECT 1 FROM u WHERE u.k = r.k) OR a = 1",
        "v_nested": "SELECT k FROM r WHERE a IN (SELECT b FROM u WHERE EXISTS (SELECT 1 FROM r r2 WHERE r2.k = u.k))",
    }),
    "scalar": spec({
        "v_scalar_select": "SELECT k, (SELECT MAX(b) FROM u) AS m FROM r",
        "v_scalar_corr": "SELECT k, a, (SELECT SUM(b) FROM u WHERE u.k = r.k) AS s FROM r",
        "v_scalar_count": "SELECT k, (SELECT COUNT(*) FROM u WHERE u.k = r.k) AS n FROM r",
        "v_scalar_where": "SELECT k, a FROM r WHERE a > (SELECT AVG(b) FROM u)",
        "v_scalar_where_corr": "SELECT k, a FROM r WHERE a >= (SELECT MAX(b) FROM u WHERE u.k = r.k)",
        "v_scalar_case": "SELECT k, CASE WHEN a > (SELECT MIN(b) FROM u) THEN 'hi' ELSE 'lo' END AS c FROM r",
        "v_scalar_empty": "SELECT k, (SELECT b FROM u WHERE u.k = r.k AND u.s = 'zz') AS bb FROM r",
        "v_having_corr": "SELECT k, COUNT(*) AS n FROM r GROUP BY k HAVING COUNT(*) > "
                         "(SELECT COUNT(*) FROM u WHERE u.k = r.k)",
    }),
    "non_equi_correlation": spec({
        "v_exists_lt": "SELECT k, a FROM r WHERE EXISTS (SELECT 1 FROM u WHERE u.b < r.a)",
        "v_count_lt": "SELECT k, a, (SELECT COUNT(*) FROM u WHERE u.b < r.a) AS n FROM r",
        "v_mixed": "SELECT k, a FROM r WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.k = r.k AND u.b <> r.a)",
        "v_sum_ne": "SELECT k, (SELECT SUM(b) FROM u WHERE u.k <> r.k) AS s FROM r",
    }),
    "lateral": spec({  # JOIN LATERAL: a derived table reading the items before it
        "v_lateral_expr": "SELECT r.k, x.d FROM r, LATERAL (SELECT r.a * 2 AS d) AS x",
        "v_lateral_rows": "SELECT r.k, x.b FROM r JOIN LATERAL (SELECT u.b FROM u WHERE u.b < r.a) AS x ON TRUE",
        "v_lateral_left": "SELECT r.k, r.a, x.b FROM r LEFT JOIN LATERAL (SELECT u.b FROM u WHERE u.k = r.k) AS x "
                          "ON x.b <> r.a",
        "v_lateral_agg": "SELECT r.k, x.n, x.m FROM r CROSS JOIN LATERAL (SELECT COUNT(*) AS n, MAX(u.b) AS m FROM u "
                         "WHERE u.s = r.s) AS x",
        "v_lateral_top": "SELECT r.k, x.b FROM r, LATERAL (SELECT u.b FROM u WHERE u.k = r.k ORDER BY u.b DESC "
                         "NULLS LAST LIMIT 1) AS x",
        "v_lateral_in_subquery": "SELECT k, (SELECT SUM(y.z) FROM u, LATERAL (SELECT u.b + r.a AS z) AS y) AS s FROM r",
    }),
    "any_all": spec({
        "v_any": "SELECT k, a FROM r WHERE a > ANY (SELECT b FROM u)",
        "v_all": "SELECT k, a FROM r WHERE a > ALL (SELECT b FROM u)",
        "v_select": "SELECT k, a, a = ANY (SELECT b FROM u) AS x, a <> ALL (SELECT b FROM u) AS y, "
                    "a <= ALL (SELECT b FROM u WHERE u.k = r.k) AS z FROM r",
        "v_all_corr": "SELECT k, a FROM r WHERE a < ALL (SELECT b FROM u WHERE u.k = r.k)",
        "v_any_corr": "SELECT k, a FROM r WHERE a >= ANY (SELECT b FROM u WHERE u.k = r.k)",
        # with the subquery in a second pair of parentheses (sqlglot reads ALL ((…)) as a function call)
        "v_all_parens": "SELECT k, a <> ALL ((SELECT b FROM u)) AS x, a = ANY ((SELECT b FROM u)) AS y FROM r "
                        "WHERE a >= ALL (((SELECT b FROM u WHERE u.k = r.k)))",
    }),
    "repeated_scalar": spec({  # one subquery written several times: joined once, one value (#60)
        "v_list_by_itself": "SELECT a % 2 AS g, ARRAY_AGG((SELECT COUNT(*) FROM u WHERE u.b >= r.a) "
                            "ORDER BY (SELECT COUNT(*) FROM u WHERE u.b >= r.a)) AS l, "
                            "SUM((SELECT COUNT(*) FROM u WHERE u.b >= r.a)) AS n FROM r GROUP BY 1",
        "v_where_and_select": "SELECT k, (SELECT MAX(b) FROM u WHERE u.k = r.k) AS m FROM r "
                              "WHERE (SELECT MAX(b) FROM u WHERE u.k = r.k) > a OR a IS NULL",
        "v_two_outer_rows": "SELECT r.k, r2.k AS k2, (SELECT MIN(b) FROM u WHERE u.k = r.k) AS m1, "
                            "(SELECT MIN(b) FROM u WHERE u.k = r2.k) AS m2 FROM r JOIN r AS r2 ON r.a = r2.a",
    }),
    # DuckDB: an aggregate of outer columns is the subquery's own when the subquery groups by one of them
    # (SQL's rule would make it the outer query's): it aggregates the outer value over the subquery's rows
    "grouped_by_outer": spec({
        "v_exists": "SELECT k FROM r WHERE EXISTS (SELECT MAX(r.a) FROM u WHERE u.b > r.a GROUP BY r.a)",
        "v_sum": "SELECT k, (SELECT SUM(r.a) FROM u WHERE u.k = r.k GROUP BY r.a) AS m FROM r",
        "v_mixed": "SELECT k, (SELECT MAX(r.a + r.k) + COUNT(*) FROM u GROUP BY r.a, u.s ORDER BY 1 LIMIT 1) AS m "
                   "FROM r",
        "v_any": "SELECT k FROM r WHERE 2 <= ANY (SELECT COUNT(r.s) FROM u WHERE u.s <> r.s GROUP BY (r.s))",
    }),
}


test_subqueries = streams_test(SPECS, 12)


def test_not_in_null_semantics():
    """x NOT IN (subquery): TRUE over an empty subquery, NULL when it holds a NULL and x matched nothing."""
    s = spec({"v": "SELECT k, a, a NOT IN (SELECT b FROM u) AS x, a IN (SELECT b FROM u) AS y FROM r",
              "w": "SELECT k FROM r WHERE a NOT IN (SELECT b FROM u)"})
    check_steps(s, [
        [("+", "r", (1, 1, "a")), ("+", "r", (2, None, "b")), ("+", "r", (3, 2, None))],   # empty u: all TRUE
        [("+", "u", (1, 1, "a"))],
        [("+", "u", (2, None, "b"))],                                   # a NULL in the subquery
        [("-", "u", (1, 1, "a"))],
        [("-", "u", (2, None, "b")), ("+", "u", (2, None, "b"))],       # delete and re-insert the NULL
        [("-", "u", (2, None, "b"))],
        RETRACT_ALL,
    ])


def test_an_aggregate_of_outer_columns_belongs_to_the_outer_query():
    """MAX(r.a) inside a subquery of r's WHERE reads only r's columns: it is r's aggregate (SQL's rule, which
    DuckDB and PostgreSQL follow), so it is refused there as an aggregate in a WHERE, at its position (#59)."""
    import pytest
    from deltasql import CompileError, Pipeline
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError) as e:
        p.execute("CREATE VIEW v AS SELECT k FROM r WHERE 6 >= ALL (SELECT MAX(r.a) FROM u GROUP BY u.b)")
    assert "aggregate function MAX(r.a) reads only columns of an enclosing query" in str(e.value)
    assert (e.value.line, e.value.col) == (1, 61)  # (at its argument, as the binder places an aggregate)
    # in a SELECT list the outer query aggregates it, as DuckDB does
    p.execute("CREATE VIEW w AS SELECT (SELECT SUM(r.a * u.b) FROM u) AS x FROM r")


def test_postgres_keeps_an_outer_aggregate_the_outer_querys():
    """In the postgres dialect, SQL's rule holds even when the subquery groups by the outer column:
    SUM(r.a) is r's aggregate, so r.k outside it must be grouped (as PostgreSQL answers)."""
    import pytest
    from deltasql import CompileError, Pipeline
    p = Pipeline("postgres")
    p.execute(DDL)
    with pytest.raises(CompileError, match="must appear in the GROUP BY clause"):
        p.execute("CREATE VIEW v AS SELECT k, (SELECT SUM(r.a) FROM u GROUP BY r.a) AS m FROM r")
    with pytest.raises(CompileError, match="must appear in the GROUP BY clause"):  # (r.a, outer, ungrouped)
        p.execute("CREATE VIEW w AS SELECT k, (SELECT SUM(r.a) FROM u GROUP BY r.a) AS m FROM r GROUP BY k")
