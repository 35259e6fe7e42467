"""Differential tests of aggregation (GROUP BY, DISTINCT aggregates, FILTER, HAVING, grouping sets) against DuckDB."""

import decimal


from tests.harness import RETRACT_ALL, Spec, ViewSpec, check_steps, streams_test

DDL = "CREATE TABLE t(g INT, h VARCHAR, x INT, y DECIMAL(8,2), z DOUBLE, b BOOLEAN, s VARCHAR)"
DOMAINS = {"g": [1, 2, 3], "h": ["a", "b"], "x": [1, 2, 3, 0, -1, 5], "s": ["a", "b", "ab", "", "c"]}


def spec(views, **kw):
    return Spec(DDL, views, **{"domains": DOMAINS, **kw})


SPECS = {
    "basic": spec({
        "v_int": "SELECT g, COUNT(*) AS n, COUNT(x) AS nx, SUM(x) AS sx, AVG(x) AS ax, MIN(x) AS mn, MAX(x) AS mx "
                 "FROM t GROUP BY g",
        "v_dec": "SELECT g, SUM(y) AS sy, AVG(y) AS ay, MIN(y) AS mny, MAX(y) AS mxy, COUNT(y) AS ny FROM t GROUP BY g",
        "v_float": "SELECT g, SUM(z) AS sz, AVG(z) AS az, MIN(z) AS mnz, MAX(z) AS mxz FROM t GROUP BY g",
        "v_str": "SELECT g, MIN(s) AS mn, MAX(s) AS mx, MIN(b) AS mb, MAX(b) AS xb FROM t GROUP BY g",
        "v_multi": "SELECT g, h, COUNT(*) AS n, SUM(y) AS s FROM t GROUP BY g, h",
        "v_null_group": "SELECT s, COUNT(*) AS n, MAX(x) AS m FROM t GROUP BY s",
    }),
    "global": spec({  # one row even over empty input
        "v_global": "SELECT COUNT(*) AS n, SUM(x) AS s, MIN(y) AS m, AVG(z) AS a, COUNT(DISTINCT x) AS d, "
                    "MAX(s) AS ms, BOOL_OR(b) AS bo FROM t",
        "v_global_filtered": "SELECT COUNT(*) AS n, SUM(x) AS s FROM t WHERE x > 3",
        "v_having_global": "SELECT SUM(x) AS s FROM t HAVING COUNT(*) > 2",
        "v_late_global": ViewSpec("SELECT COUNT(x) AS n, MAX(x) AS m FROM t", create_at=2),
    }),
    "distinct_aggregates": spec({
        "v_distinct": "SELECT g, COUNT(DISTINCT x) AS cd, SUM(DISTINCT x) AS sd, AVG(DISTINCT x) AS ad, "
                      "COUNT(DISTINCT s) AS ds FROM t GROUP BY g",
        "v_mixed": "SELECT h, COUNT(DISTINCT g) AS dg, COUNT(g) AS ng, SUM(DISTINCT y) AS sy FROM t GROUP BY h",
        "v_select_distinct": "SELECT DISTINCT g, h FROM t",
        "v_select_distinct_expr": "SELECT DISTINCT x % 3 AS m FROM t",
    }),
    "bool_string": spec({
        "v_bool": "SELECT g, BOOL_AND(b) AS ba, BOOL_OR(b) AS bo FROM t GROUP BY g",
        "v_string_agg": "SELECT g, STRING_AGG(s, ',' ORDER BY s) AS sa FROM t GROUP BY g",
        "v_string_agg_desc": "SELECT g, STRING_AGG(s, '|' ORDER BY s DESC) AS sa FROM t GROUP BY g",
        "v_string_agg_other_key": "SELECT h, STRING_AGG(s, ';' ORDER BY s, x) AS sa FROM t GROUP BY h",
        "v_string_agg_distinct": "SELECT g, STRING_AGG(DISTINCT s, ',' ORDER BY s) AS sa FROM t GROUP BY g",
    }, domains={**DOMAINS, "s": ["a", "b", "ab", "c", ""]}),
    "filter_having": spec({
        "v_filter": "SELECT g, COUNT(*) FILTER (WHERE x > 1) AS n, SUM(x) FILTER (WHERE b) AS s, "
                    "MAX(s) FILTER (WHERE x <> 2) AS m, COUNT(*) FILTER (WHERE s IS NULL) AS nn FROM t GROUP BY g",
        "v_having": "SELECT g, SUM(x) AS s FROM t GROUP BY g HAVING COUNT(*) > 1 AND SUM(x) > 0",
        "v_having_or": "SELECT g FROM t GROUP BY g HAVING MAX(x) >= 3 OR MIN(s) = 'a'",
        "v_having_not_selected": "SELECT h, COUNT(*) AS n FROM t GROUP BY h HAVING AVG(z) > 0.5",
    }),
    "group_expressions": spec({
        "v_parity": "SELECT x % 2 AS parity, COUNT(*) AS n FROM t GROUP BY x % 2",
        "v_exprs": "SELECT g + 1 AS g1, UPPER(h) AS uh, SUM(x) AS s FROM t GROUP BY g + 1, UPPER(h)",
        "v_ordinal": "SELECT g, h, COUNT(*) AS n FROM t GROUP BY 1, 2",
        "v_agg_exprs": "SELECT g, SUM(x * 2 + 1) AS s, MAX(x) - MIN(x) AS rng, COUNT(*) * 10 AS n10, "
                       "SUM(x) / COUNT(*) AS avg2 FROM t GROUP BY g",
        "v_case_key": "SELECT CASE WHEN x > 1 THEN 'hi' ELSE 'lo' END AS k, COUNT(*) AS n FROM t GROUP BY 1",
        "v_nested": "SELECT n, COUNT(*) AS c FROM (SELECT g, COUNT(*) AS n FROM t GROUP BY g) q GROUP BY n",
    }),
    "drop_shared": spec({  # aggregates over a shared input, dropped and re-created mid-stream
        "a1": ViewSpec("SELECT g, COUNT(*) AS n, SUM(x) AS s FROM t GROUP BY g", drop_at=2),
        "a2": "SELECT g, MAX(x) AS m FROM t GROUP BY g",
        "a3": ViewSpec("SELECT g, COUNT(*) AS n, SUM(x) AS s FROM t GROUP BY g", create_at=3),
        "a4": ViewSpec("SELECT COUNT(*) AS n FROM t", drop_at=1),
        "a5": ViewSpec("SELECT n, COUNT(*) AS c FROM a2 JOIN (SELECT g, COUNT(*) AS n FROM t GROUP BY g) q "
                       "ON a2.g = q.g GROUP BY n", create_at=2, drop_at=4),
    }),
    "primary_key": Spec("CREATE TABLE p(id INT PRIMARY KEY, g INT, x INT NOT NULL)", {
        "v_pk_group": "SELECT g, COUNT(*) AS n, SUM(x) AS s, MAX(id) AS m FROM p GROUP BY g",
        "v_pk_self": "SELECT a.id, b.id AS id2 FROM p a JOIN p b ON a.x = b.id",
        "v_pk_distinct": "SELECT DISTINCT g FROM p",
    }, domains={"id": list(range(10)), "g": [1, 2, 3], "x": [0, 1, 2, 3]}, keys={"p": ("id",)}),
    "group_by_all": spec({  # GROUP BY ALL: the select items that read columns and hold no aggregate
        "v_all": "SELECT g, h, COUNT(*) AS n, SUM(x) AS sx FROM t GROUP BY ALL",
        "v_all_expr": "SELECT x % 2 AS parity, 'k' AS tag, MAX(s) AS m FROM t GROUP BY ALL HAVING COUNT(*) > 1",
        "v_all_global": "SELECT 7 AS seven, COUNT(*) AS n, SUM(y) AS sy FROM t GROUP BY ALL",
        "v_all_ordered": ViewSpec("SELECT g, h, COUNT(*) AS n FROM t GROUP BY ALL ORDER BY ALL DESC NULLS FIRST",
                                  ordered=True),
    }),
    "statistics": spec({
        "v_stats": "SELECT g, STDDEV_SAMP(x) AS sd, VAR_POP(x) AS vp, STDDEV_POP(z) AS sz, VAR_SAMP(y) AS vy "
                   "FROM t GROUP BY g",
        "v_median": "SELECT g, MEDIAN(x) AS mx, MEDIAN(z) AS mz FROM t GROUP BY g",
        "v_global_stats": "SELECT STDDEV_SAMP(x) AS sd, MEDIAN(x) AS mx, VAR_POP(z) AS vz, MEDIAN(y) AS my FROM t",
    }),
    "grouping_sets": spec({
        "v_sets": "SELECT g, h, COUNT(*) AS n FROM t GROUP BY GROUPING SETS ((g), (h), ())",
        "v_sum_bool": "SELECT g, SUM(b) AS n, SUM(DISTINCT b) AS d, SUM(b) FILTER (WHERE x > 0) AS f FROM t GROUP BY g",
        # nested: their sets listed in the outer one, duplicates kept (the () set twice: two rows)
        "v_nested_sets": "SELECT g, h, COUNT(*) AS n, SUM(x) AS s FROM t GROUP BY GROUPING SETS "
                         "(GROUPING SETS (g, ()), GROUPING SETS (h, ()), ROLLUP (g, h))",
        "v_rollup": "SELECT g, h, SUM(x) AS s FROM t GROUP BY ROLLUP (g, h)",
        "v_cube": "SELECT g, h, COUNT(x) AS n, MAX(y) AS m FROM t GROUP BY CUBE (g, h)",
        "v_grouping": "SELECT g, h, GROUPING(g) AS gg, GROUPING(h) AS gh, COUNT(*) AS n FROM t GROUP BY CUBE (g, h)",
    }),
    # a name in HAVING that is a select-list name too: the FROM clause's column where it is grouped (DuckDB
    # binds HAVING to the GROUP BY expressions first; over a join qualify would take the alias), else the alias
    "having_names": Spec("CREATE TABLE t(g INT, h INT, x INT); CREATE TABLE u(g INT, y INT)", {
        "v_using_grouped": "SELECT t.g FROM t JOIN u USING (g) GROUP BY t.g HAVING g > 1",
        "v_using_over_alias": "SELECT t.x AS g, COUNT(*) AS n FROM t JOIN u USING (g) GROUP BY t.x, t.g HAVING g > 1",
        "v_alias_kept": "SELECT t.x AS g FROM t JOIN u USING (g) GROUP BY t.x HAVING g > 1",
        "v_column_over_alias": "SELECT t.x AS h, COUNT(*) AS n FROM t JOIN u ON t.g = u.g GROUP BY t.x, h HAVING h > 1",
        "v_right_using": "SELECT u.g, COUNT(t.x) AS n FROM t RIGHT JOIN u USING (g) GROUP BY u.g HAVING g > 1",
        "v_rollup_using": "SELECT t.g, COUNT(*) AS n FROM t JOIN u USING (g) GROUP BY ROLLUP (t.g) "
                          "HAVING g > 1 OR g IS NULL",
        "v_position": "SELECT t.g, SUM(y) AS s FROM t LEFT JOIN u USING (g) GROUP BY 1 HAVING g <> 2",
        # fuzz #63: a self-join USING three columns, grouped by one of them twice
        "v_self_using": "SELECT t.g FROM t JOIN t AS q USING (x, h, g) GROUP BY t.g, t.h, g HAVING g > 0",
    }, domains={"g": [1, 2, 3], "h": [0, 1, 2], "x": [0, 1, 2, 3], "y": [1, 2]}),
}


test_aggregates = streams_test(SPECS, 12)


def test_deleting_the_extreme():
    """MIN/MAX stay right when the current extreme (and its duplicates) is deleted, and when a group
    empties and refills."""
    s = Spec("CREATE TABLE t(g INT, x INT, y DECIMAL(8,2))",
             {"v": "SELECT g, MIN(x) AS mn, MAX(x) AS mx, MIN(y) AS my, MAX(y) AS xy, COUNT(*) AS n FROM t GROUP BY g",
              "w": "SELECT MIN(x) AS mn, MAX(x) AS mx FROM t"})
    D = decimal.Decimal
    rows = [(1, 5, D("1.50")), (1, 5, D("1.50")), (1, 3, D("2.00")), (1, 9, D("-1.00")), (2, 1, None)]
    check_steps(s, [
        [("+", "t", r) for r in rows],
        [("-", "t", (1, 9, D("-1.00")))],            # the max of x and the min of y
        [("-", "t", (1, 5, D("1.50")))],             # one copy of the new max
        [("-", "t", (1, 5, D("1.50"))), ("-", "t", (1, 3, D("2.00")))],   # group 1 empties
        [("+", "t", (1, 7, D("0.00"))), ("-", "t", (2, 1, None)), ("+", "t", (2, 1, None))],
        RETRACT_ALL,
    ])


def test_failed_step_leaves_global_aggregate():
    s = Spec("CREATE TABLE t(x INT)", {"v": "SELECT COUNT(*) AS n, SUM(x * 1000000000) AS s FROM t"})
    check_steps(s, [[("+", "t", (1,)), ("+", "t", (3,))],   # overflows INT32: fails in both
                    [("+", "t", (None,))], RETRACT_ALL])


def test_failed_step_leaves_grouped_aggregate():
    s = Spec("CREATE TABLE t(g INT, x INT)",
             {"v": "SELECT g, COUNT(*) AS n, SUM(x * 1000000000) AS s, MAX(x * 1000000000) AS m FROM t GROUP BY g"})
    check_steps(s, [[("+", "t", (1, 1))], [("+", "t", (1, 1)), ("+", "t", (1, 3)), ("+", "t", (2, 1))],
                    [("+", "t", (2, 2))], RETRACT_ALL])


def test_string_agg_order_desc():
    s = Spec("CREATE TABLE t(g INT, s VARCHAR)",
             {"v": "SELECT g, STRING_AGG(s, '|' ORDER BY s DESC) AS sa FROM t GROUP BY g"})
    check_steps(s, [[("+", "t", (1, "a")), ("+", "t", (1, "b")), ("+", "t", (1, None))], [("-", "t", (1, "b"))],
                    RETRACT_ALL])


def test_median_decimal():
    s = Spec("CREATE TABLE t(g INT, y DECIMAL(8,2))", {"v": "SELECT g, MEDIAN(y) AS m FROM t GROUP BY g"})
    D = decimal.Decimal
    check_steps(s, [[("+", "t", (1, D("1.50"))), ("+", "t", (2, D("1.50"))), ("+", "t", (2, D("2.25")))],
                    RETRACT_ALL])
