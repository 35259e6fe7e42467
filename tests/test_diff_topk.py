"""Differential tests of top-k (ORDER BY … LIMIT n [OFFSET m]) against DuckDB.

Where ties make the chosen rows ambiguous, only the order keys are compared (``columns``); with a
unique key in the ORDER BY the whole rows and their order are compared (``ordered``)."""

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, ViewSpec, check_steps, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT, s VARCHAR)"
DOMAINS = {"id": list(range(16)), "g": [1, 2, 3], "x": [1, 2, 3, 0, -1, 5]}


def spec(views, **kw):
    return Spec(DDL, views, **{"domains": DOMAINS, "keys": {"t": ("id",)}, **kw})


SPECS = {
    "unique_order": spec({
        "v_top": ViewSpec("SELECT id, x FROM t ORDER BY x DESC, id LIMIT 3", ordered=True),
        "v_offset": ViewSpec("SELECT id, x, s FROM t ORDER BY x, id LIMIT 3 OFFSET 2", ordered=True),
        "v_desc_nulls": ViewSpec("SELECT x, id FROM t ORDER BY x DESC NULLS LAST, id DESC LIMIT 2", ordered=True),
        "v_nulls_first": ViewSpec("SELECT id, x FROM t ORDER BY x NULLS FIRST, id LIMIT 4", ordered=True),
        "v_by_id": ViewSpec("SELECT id, s FROM t ORDER BY id DESC LIMIT 5", ordered=True),
        "v_order_only": ViewSpec("SELECT id, x FROM t ORDER BY x, id", ordered=True),
        "v_order_expr": ViewSpec("SELECT id, x FROM t ORDER BY -x, id LIMIT 3", ordered=True),
        "v_order_expr_all": ViewSpec("SELECT id, x FROM t ORDER BY x + id DESC, id", ordered=True),
        "v_over_top": "SELECT s, COUNT(*) AS n FROM (SELECT s FROM t ORDER BY id LIMIT 5) q GROUP BY s",
    }),
    "ties": spec({
        "v_ties": ViewSpec("SELECT x, s FROM t ORDER BY x LIMIT 3", columns=(0,), ordered=True),
        "v_ties_offset": ViewSpec("SELECT x, id FROM t ORDER BY x DESC LIMIT 2 OFFSET 1", columns=(0,), ordered=True),
        "v_nulls": ViewSpec("SELECT x, g FROM t ORDER BY x NULLS FIRST LIMIT 4", columns=(0,), ordered=True),
        "v_two_keys": ViewSpec("SELECT g, x, id FROM t ORDER BY g, x DESC LIMIT 4", columns=(0, 1), ordered=True),
        "v_limit_only": "SELECT COUNT(*) AS n FROM (SELECT id FROM t LIMIT 3) q",
        "v_limit0": "SELECT id FROM t ORDER BY id LIMIT 0",
        "v_fetch": ViewSpec("SELECT x, id FROM t ORDER BY x, id OFFSET 1 ROWS FETCH FIRST 3 ROWS ONLY", ordered=True),
        "v_order_all": ViewSpec("SELECT g, x, id FROM t ORDER BY ALL DESC LIMIT 4", ordered=True),
    }),
    "over_aggregates": spec({
        "v_agg_top": ViewSpec("SELECT g, SUM(x) AS s FROM t GROUP BY g ORDER BY s DESC NULLS LAST, g LIMIT 2",
                              ordered=True),
        "v_distinct_top": ViewSpec("SELECT DISTINCT x FROM t ORDER BY x DESC LIMIT 2", ordered=True),
        "v_count_top": ViewSpec("SELECT x, COUNT(*) AS n FROM t GROUP BY x ORDER BY n DESC, x LIMIT 3", ordered=True),
        "v_top_join": "SELECT q.id, t2.id AS id2 FROM (SELECT id, x FROM t ORDER BY x, id LIMIT 3) q "
                      "JOIN t t2 ON q.x = t2.x",
    }),
    "partitions": spec({  # top-k per partition through window functions
        "v_row_number": "SELECT id, g, x FROM (SELECT id, g, x, ROW_NUMBER() OVER (PARTITION BY g ORDER BY x DESC, id) "
                        "AS rn FROM t) q WHERE rn <= 2",
        "v_rank": "SELECT g, x FROM (SELECT g, x, RANK() OVER (PARTITION BY g ORDER BY x) AS rk FROM t) q WHERE rk <= 1",
        "v_dense_rank": "SELECT g, x, dr FROM (SELECT g, x, DENSE_RANK() OVER (PARTITION BY g ORDER BY x DESC NULLS LAST) "
                        "AS dr FROM t) q WHERE dr <= 2",
        "v_qualify": "SELECT id, g FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY g ORDER BY x NULLS FIRST, id) <= 2",
        "v_top_group": "SELECT g, s FROM (SELECT g, SUM(x) AS s, ROW_NUMBER() OVER (ORDER BY SUM(x) DESC NULLS LAST, g) "
                       "AS rn FROM t GROUP BY g) q WHERE rn = 1",
    }),
    "windows": spec({
        "v_ranks": "SELECT id, g, x, RANK() OVER (PARTITION BY g ORDER BY x) AS rk, "
                   "DENSE_RANK() OVER (PARTITION BY g ORDER BY x) AS dr, ROW_NUMBER() OVER (ORDER BY id DESC) AS rn FROM t",
        "v_partition_aggs": "SELECT id, SUM(x) OVER (PARTITION BY g) AS s, COUNT(*) OVER (PARTITION BY g) AS n, "
                            "MAX(x) OVER () AS m FROM t",
        "v_running": "SELECT id, SUM(x) OVER (PARTITION BY g ORDER BY id) AS rs, "
                     "SUM(x) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS w2 FROM t",
        "v_offsets": "SELECT id, LAG(x) OVER (PARTITION BY g ORDER BY id) AS lg, LEAD(x, 1, 0) OVER (ORDER BY id) AS ld, "
                     "FIRST_VALUE(x) OVER (PARTITION BY g ORDER BY id) AS fv FROM t",
        "v_tiles": "SELECT id, NTILE(2) OVER (ORDER BY id) AS nt, PERCENT_RANK() OVER (ORDER BY id) AS pr FROM t",
    }),
    "range_frames": spec({  # RANGE frames with offsets: rows whose ORDER BY value is within reach
        "v_around": "SELECT id, SUM(x) OVER (PARTITION BY g ORDER BY x RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s, "
                    "COUNT(*) OVER (ORDER BY x DESC RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS n FROM t",
        "v_ahead": "SELECT id, COUNT(x) OVER (ORDER BY x NULLS FIRST RANGE BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS n, "
                   "MAX(id) OVER (ORDER BY x RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS m FROM t",
        "v_fraction": "SELECT id, MIN(id) OVER (PARTITION BY g ORDER BY x * 0.5 RANGE BETWEEN 0.5 PRECEDING AND "
                      "UNBOUNDED FOLLOWING) AS m FROM t",
    }),
    "range_frames_dates": Spec("CREATE TABLE t(id INT NOT NULL, d DATE, ts TIMESTAMP)", {
        "v_days": "SELECT id, COUNT(*) OVER (ORDER BY d RANGE BETWEEN INTERVAL 2 DAY PRECEDING AND CURRENT ROW) AS n, "
                  "MAX(id) OVER (ORDER BY d DESC RANGE BETWEEN 1 PRECEDING AND INTERVAL 1 MONTH FOLLOWING) AS m FROM t",
        "v_hours": "SELECT id, COUNT(*) OVER (ORDER BY ts RANGE BETWEEN INTERVAL 12 HOUR PRECEDING AND "
                   "INTERVAL 1 YEAR FOLLOWING) AS n FROM t",
    }, domains={"id": list(range(16))}, keys={"t": ("id",)}),
    "argument_order": spec({  # DuckDB's f(… ORDER BY k) OVER (PARTITION BY p): the partition in k's order
        "v_rank_args": "SELECT id, ROW_NUMBER(ORDER BY x DESC, id) OVER (PARTITION BY g) AS rn, "
                       "RANK(ORDER BY x) OVER () AS rk, CUME_DIST(ORDER BY id DESC) OVER (PARTITION BY g) AS cd FROM t",
        "v_value_args": "SELECT id, FIRST_VALUE(id ORDER BY x DESC NULLS LAST, id) OVER (PARTITION BY g) AS fv, "
                        "LAST_VALUE(x ORDER BY id) OVER (PARTITION BY g) AS lv, "
                        "LAG(x, 1, -1 ORDER BY id) OVER () AS lg, NTILE(3 ORDER BY id) OVER (PARTITION BY g) AS nt FROM t",
        "v_qualify_args": "SELECT id, g FROM t QUALIFY RANK(ORDER BY x NULLS FIRST) OVER (PARTITION BY g) <= 2",
    }),
    "row_offsets": spec({  # ROWS frame offsets and NTH_VALUE positions read from each row
        "v_rows_by_row": "SELECT id, SUM(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN COALESCE(g, 0) PRECEDING "
                         "AND COALESCE(ABS(x), 1) FOLLOWING) AS s, MEDIAN(x) OVER (ORDER BY id ROWS BETWEEN "
                         "COALESCE(ABS(x), 0) PRECEDING AND CURRENT ROW) AS m FROM t",
        "v_rows_back": "SELECT id, COUNT(x) OVER (ORDER BY x NULLS FIRST, id ROWS BETWEEN COALESCE(g, 2) + 1 PRECEDING "
                       "AND COALESCE(g, 0) PRECEDING) AS n, MAX(s) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND "
                       "COALESCE(g, 1) FOLLOWING) AS mx FROM t",
        "v_nth_by_row": "SELECT id, NTH_VALUE(id, g) OVER (PARTITION BY x ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING "
                        "AND UNBOUNDED FOLLOWING) AS a, NTH_VALUE(x, x) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW "
                        "AND UNBOUNDED FOLLOWING) AS b FROM t",
    }),
    "named_arguments": spec({  # DuckDB's name := value for LAG/LEAD and the quantiles
        "v_shift_named": "SELECT id, LEAD(\"offset\" := 2, col := x) OVER (ORDER BY id) AS a, "
                         "LAG(x, \"default\" := -9) OVER (PARTITION BY g ORDER BY id) AS b FROM t",
        "v_quantile_named": "SELECT g, QUANTILE_CONT(x, quantile := 0.5) AS q, "
                            "PERCENTILE_DISC(quantile := 0.25) WITHIN GROUP (ORDER BY x) AS p FROM t GROUP BY g",
    }),
    "groups_frames": spec({  # GROUPS frames: offsets counted in peer groups
        "v_groups": "SELECT id, SUM(x) OVER (PARTITION BY g ORDER BY x GROUPS 1 PRECEDING) AS s, "
                    "COUNT(*) OVER (ORDER BY g NULLS FIRST GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS n FROM t",
        "v_groups_ahead": "SELECT id, MIN(id) OVER (ORDER BY x DESC GROUPS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) AS m, "
                          "MAX(id) OVER (ORDER BY g GROUPS BETWEEN 2 PRECEDING AND 1 PRECEDING EXCLUDE TIES) AS mx, "
                          "COUNT(*) OVER (ORDER BY x, g GROUPS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) "
                          "AS lv FROM t",
    }),
    "framed_rank": spec({  # RANK / PERCENT_RANK (ORDER BY k) OVER (… ORDER BY o …): the rank by k in each row's frame
        "v_framed_rank": "SELECT id, RANK(ORDER BY x DESC) OVER (PARTITION BY g ORDER BY id) AS r, "
                         "PERCENT_RANK(ORDER BY x NULLS FIRST) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND "
                         "1 FOLLOWING) AS pr FROM t",
        "v_framed_peers": "SELECT id, RANK(ORDER BY s, x) OVER w AS r, PERCENT_RANK(ORDER BY id) OVER (ORDER BY g) AS pr "
                          "FROM t WINDOW w AS (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)",
    }),
    "named_windows": spec({  # WINDOW w AS (…), OVER w and OVER (w …)
        "v_named": "SELECT id, SUM(x) OVER w AS s, RANK() OVER (w ORDER BY x) AS rk FROM t WINDOW w AS (PARTITION BY g)",
        "v_chain": "SELECT id, SUM(x) OVER w2 AS rs, COUNT(*) OVER (w2 ROWS 1 PRECEDING) AS n FROM t "
                   "WINDOW w AS (PARTITION BY g), w2 AS (w ORDER BY id)",
        "v_named_qualify": "SELECT id, g FROM t WINDOW w AS (PARTITION BY g ORDER BY x NULLS FIRST, id) "
                           "QUALIFY ROW_NUMBER() OVER w <= 2",
        # OVER w (no parentheses) of a w with a frame: w itself (DuckDB refuses OVER (w) then)
        "v_named_frame": "SELECT id, SUM(x) OVER w AS s, MIN(x) OVER\n w AS lo FROM t "
                         "WINDOW w AS (PARTITION BY g ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)",
    }),
    "percent": spec({  # LIMIT p PERCENT: floor(p / 100 * count) rows after the offset, count of all rows
        "v_pct": ViewSpec("SELECT id, x FROM t ORDER BY x, id LIMIT 40 PERCENT", ordered=True),
        "v_pct_offset": ViewSpec("SELECT id, x FROM t ORDER BY x DESC NULLS FIRST, id LIMIT 35% OFFSET 1", ordered=True),
        "v_pct_count": "SELECT COUNT(*) AS n FROM (SELECT id FROM t LIMIT 50%) q",
        "v_pct_expr": ViewSpec("SELECT DISTINCT g FROM t ORDER BY g LIMIT (30 + 3.5) %", ordered=True),
        "v_pct_setop": ViewSpec("SELECT x FROM t UNION ALL SELECT g FROM t ORDER BY 1 LIMIT 25%", ordered=True),
        "v_pct_all": "SELECT id, s FROM t LIMIT 100 PERCENT",
        # constant expressions, cast to BIGINT as DuckDB does (2.5 is 3)
        "v_folded": ViewSpec("SELECT id FROM t ORDER BY id LIMIT 1.5 + 1 OFFSET '1'", ordered=True),
        "v_null_limit": ViewSpec("SELECT id FROM t ORDER BY id DESC LIMIT NULL OFFSET 2 - 1", ordered=True),
    }),
    "computed_limits": spec({  # LIMIT / OFFSET read from subqueries, recomputed as the data changes
        "v_limit_count": ViewSpec("SELECT id, x FROM t ORDER BY x, id LIMIT (SELECT COUNT(*) FROM t WHERE g = 1)",
                                  ordered=True),
        "v_both": ViewSpec("SELECT id FROM t ORDER BY id DESC LIMIT (SELECT MAX(g) FROM t) "
                           "OFFSET (SELECT MIN(g) FROM t WHERE x > 0)", ordered=True),
        "v_expr": ViewSpec("SELECT id, s FROM t ORDER BY id LIMIT 1 + (SELECT COUNT(DISTINCT x) FROM t) // 2",
                           ordered=True),
        "v_setop_below": ViewSpec("SELECT y FROM (SELECT x AS y FROM t UNION ALL SELECT g FROM t) u ORDER BY 1 NULLS "
                                  "FIRST LIMIT (SELECT COUNT(g) FROM t)", ordered=True),
        "v_pct_offset": ViewSpec("SELECT id FROM t ORDER BY id LIMIT 50% OFFSET (SELECT COUNT(*) FROM t WHERE x = 1)",
                                 ordered=True),
        "v_cte": "WITH k AS (SELECT COUNT(*) AS n FROM t WHERE x < 2) "
                 "SELECT COUNT(*) AS c FROM (SELECT id FROM t ORDER BY id OFFSET (SELECT n FROM k)) q",
    }),
    "distinct_on": spec({  # the first row of each group in the ORDER BY (which decides it: id is a key)
        "v_first": ViewSpec("SELECT DISTINCT ON (g) g, id, x FROM t ORDER BY g, x DESC, id", ordered=True),
        "v_alias_pos": "SELECT DISTINCT ON (k, 2) g AS k, x, id FROM t ORDER BY k, x, id DESC",
        "v_expr": "SELECT DISTINCT ON (x % 2) x % 2 AS parity, id FROM t ORDER BY x % 2, id",
        "v_grouped": "SELECT DISTINCT ON (g) g, x, COUNT(*) AS n FROM t GROUP BY g, x ORDER BY g, n DESC, x",
        "v_limited": ViewSpec("SELECT DISTINCT ON (g) g, id FROM t ORDER BY g NULLS FIRST, id LIMIT 2", ordered=True),
    }),
    # DISTINCT ON after the SELECT's windows and QUALIFY (the staged form, compiler/sugar.py)
    "distinct_on_staged": spec({
        "v_window_key": "SELECT DISTINCT ON (RANK() OVER (PARTITION BY g ORDER BY x)) g, x, id FROM t "
                        "ORDER BY RANK() OVER (PARTITION BY g ORDER BY x), id",
        "v_window_order": "SELECT DISTINCT ON (g) g, x, id FROM t ORDER BY g, SUM(x) OVER (PARTITION BY x) DESC, id",
        "v_qualify": "SELECT DISTINCT ON (g) g, x, id FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY g ORDER BY id) > 1 "
                     "ORDER BY g, x DESC, id",
        "v_window_position": "SELECT DISTINCT ON (2) g AS k, DENSE_RANK() OVER (ORDER BY x) AS r, id FROM t "
                             "ORDER BY 2, id DESC",
        "v_window_limited": ViewSpec("SELECT DISTINCT ON (g) g, SUM(x) OVER (PARTITION BY g) AS tot, id FROM t "
                                     "ORDER BY g NULLS FIRST, COUNT(*) OVER (ORDER BY id) DESC LIMIT 2", ordered=True),
        "v_grouped_window": "SELECT DISTINCT ON (RANK() OVER (ORDER BY COUNT(*))) g, COUNT(*) AS n FROM t GROUP BY g "
                            "ORDER BY RANK() OVER (ORDER BY COUNT(*)), g NULLS FIRST",
    }),
    # a name in QUALIFY that is a select-list name too: the FROM clause's column wherever it has one (DuckDB
    # binds QUALIFY's names to the FROM clause first; over a USING join qualify would take the alias)
    "qualify_names": Spec("CREATE TABLE t(id INT NOT NULL, g INT, x INT); CREATE TABLE u(g INT, y INT)", {
        "v_using_partition": "SELECT u.y + 0 AS g FROM t JOIN u USING (g) QUALIFY COUNT(*) OVER (PARTITION BY g) = 2",
        "v_using_outside": "SELECT t.x + 0 AS g FROM t LEFT JOIN u USING (g) QUALIFY g > 1 AND COUNT(*) OVER () > 0",
        "v_alias_with_window": "SELECT COALESCE(u.y, COUNT(*) OVER ()) AS g, t.id FROM t LEFT JOIN u USING (g) "
                               "QUALIFY ROW_NUMBER() OVER (PARTITION BY t.g, g ORDER BY t.id, u.y NULLS FIRST) = 1",
        "v_alias_kept": "SELECT t.id, ROW_NUMBER() OVER (PARTITION BY g ORDER BY t.id) AS rn FROM t JOIN u USING (g) "
                        "QUALIFY rn = 1",
        "v_one_table": "SELECT -x AS x, id FROM t QUALIFY ROW_NUMBER() OVER (ORDER BY x, id) <= 2",
    }, domains={"id": list(range(8)), "g": [1, 2, 3], "x": [1, 2, 3, 0, -1], "y": [1, 2]}, keys={"t": ("id",)}),
}


test_topk = streams_test(SPECS, 12)


@pytest.mark.parametrize("dialect,qualify,names", [("duckdb", "QUALIFY id > 0", ["grp", "r", "id"]),
                                                   ("postgres", "", ["Grp", "r", "id"])])
def test_staged_distinct_on_keeps_the_select_lists_names(dialect, qualify, names):
    """DISTINCT ON over a SELECT with windows is a derived table underneath; the view's columns are
    still the select list's, named as the dialect stores names (README, Names)."""
    p = Pipeline(dialect)
    p.execute(DDL)
    p.execute(f'CREATE VIEW v AS SELECT DISTINCT ON (r) g AS "Grp", RANK() OVER (ORDER BY x) AS r, id FROM t '
              f'{qualify} ORDER BY r, id')
    p.insert("t", [(1, 1, 5, "a"), (2, 1, 5, "b"), (3, 2, 7, "c"), (0, 2, 1, "d")])
    got = p.query("SELECT * FROM v ORDER BY r")
    assert got.columns == names
    assert got.rows == ([(1, 2, 1), (2, 4, 3)] if qualify else [(2, 1, 0), (1, 2, 1), (2, 4, 3)])


def test_topk_rows_in_order():
    s = spec({"a": ViewSpec("SELECT x FROM t ORDER BY x DESC LIMIT 3", ordered=True),
              "b": ViewSpec("SELECT x FROM t ORDER BY x NULLS FIRST LIMIT 3", ordered=True)})
    check_steps(s, [[("+", "t", (1, 1, 1, None)), ("+", "t", (2, 1, -1, None)), ("+", "t", (3, 1, None, None)),
                     ("+", "t", (4, 1, 5, None))], [("-", "t", (4, 1, 5, None))], RETRACT_ALL])


def test_topk_deleting_inside_and_outside():
    """Deleting a row inside the top-k pulls the next one in; deleting outside changes nothing."""
    s = spec({"v": ViewSpec("SELECT id, x FROM t ORDER BY x, id LIMIT 2", ordered=True)})
    rows = [(i, 1, x, None) for i, x in enumerate([5, 1, 3, 1, 2])]
    check_steps(s, [[("+", "t", r) for r in rows], [("-", "t", rows[1])], [("-", "t", rows[0])],
                    [("+", "t", rows[1]), ("-", "t", rows[3]), ("+", "t", rows[3])], RETRACT_ALL])


def test_order_by_expression():
    s = spec({"v": ViewSpec("SELECT id, x FROM t ORDER BY -x, id LIMIT 3", ordered=True),
              "w": ViewSpec("SELECT id, x FROM t ORDER BY x + id DESC, id", ordered=True)})
    check_steps(s, [[("+", "t", (1, 1, 1, None)), ("+", "t", (2, 1, -1, None)), ("+", "t", (3, 1, None, None)),
                     ("+", "t", (4, 1, 5, None))], RETRACT_ALL])


@pytest.mark.parametrize("sql", [
    "SELECT SUM(x) OVER (w) FROM t WINDOW w AS (ORDER BY id ROWS 1 PRECEDING)",
    "SELECT SUM(x) OVER (w ORDER BY id) FROM t WINDOW w AS (ROWS 1 PRECEDING)",
    "SELECT SUM(x) OVER w2 FROM t WINDOW w AS (ORDER BY id ROWS 1 PRECEDING), w2 AS (w)",
])
def test_copying_a_framed_window_is_refused(sql):
    """DuckDB: 'cannot copy window "w" because it has a frame clause'."""
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match="cannot build on window 'w': it has a frame clause"):
        p.execute(sql)


@pytest.mark.parametrize("sql, message", [
    ("SELECT id FROM t LIMIT 150%", "out of range: a percentage is from 0 to 100"),
    ("SELECT id FROM t LIMIT x", "LIMIT must be a constant expression"),
    ("SELECT id FROM t LIMIT RANDOM()", "LIMIT must be a constant expression"),
    ("SELECT id FROM t LIMIT (SELECT 3)%", "a LIMIT … PERCENT computed by a subquery is not supported"),
    ("SELECT id FROM t LIMIT (SELECT AVG(x) FROM t)", "LIMIT computed by a subquery must be an integer, not DOUBLE"),
    ("SELECT x FROM t UNION SELECT g FROM t LIMIT (SELECT 1)", "computed by a subquery on UNION / INTERSECT / EXCEPT"),
    ("SELECT id FROM t OFFSET -1", "OFFSET must not be negative"),
    ("SELECT id FROM t LIMIT DATE '1992-01-01'", "LIMIT must be a number, not DATE"),
    ("SELECT id FROM t LIMIT 10 PERCENT WITH TIES", "WITH TIES is not supported"),
])
def test_limit_refusals(sql, message):
    """What DuckDB refuses (a percentage outside 0..100, a column, a negative count, a date) or what
    deltasql does not maintain (a limit that changes with the data: RANDOM(), a subquery)."""
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        p.execute(f"CREATE VIEW v AS {sql}")


def test_row_offset_errors():
    """A ROWS offset read from a row that is NULL or negative is DuckDB's error: the step fails and
    leaves the view as it was."""
    from deltasql import DataError
    p = Pipeline("duckdb")
    p.execute(DDL)
    p.execute("CREATE VIEW v AS SELECT id, SUM(x) OVER (ORDER BY id ROWS BETWEEN g PRECEDING AND CURRENT ROW) AS s FROM t")
    p.insert("t", [(1, 1, 5, None), (2, 1, 6, None)])
    p.step()
    assert sorted(p.view("v").rows()) == [(1, 5), (2, 11)]
    for bad in (None, -1):
        p.insert("t", [(3, bad, 7, None)])
        with pytest.raises(DataError, match="Window ROWS PRECEDING expression cannot be"):
            p.step()
        assert sorted(p.view("v").rows()) == [(1, 5), (2, 11)]
    with pytest.raises(DataError, match="view w: Window ROWS FOLLOWING expression cannot be NULL"):  # over constants
        p.execute("CREATE VIEW w AS SELECT COUNT(*) OVER (ORDER BY i ROWS BETWEEN CURRENT ROW AND o FOLLOWING) "
                  "FROM (VALUES (1, NULL::INTEGER)) AS src(i, o)")
    with pytest.raises(CompileError, match="a window frame offset must be a number, not VARCHAR"):
        p.execute("CREATE VIEW w AS SELECT SUM(x) OVER (ORDER BY id ROWS BETWEEN s PRECEDING AND CURRENT ROW) FROM t")


@pytest.mark.parametrize("sql, message", [
    ("SELECT LAG(x, col := x) OVER (ORDER BY id) FROM t", "LAG's parameter 'col' is given twice"),
    ("SELECT LEAD(y := x) OVER (ORDER BY id) FROM t", "LEAD has no parameter named 'y'"),
    ("SELECT QUANTILE_CONT(x, fraction := 0.5) FROM t", "QUANTILE_CONT has no parameter named 'fraction'"),
    ("SELECT RANK(ORDER BY x) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) FROM t",
     "with a frame that may leave out the current row is not supported"),
])
def test_named_argument_errors(sql, message):
    """(and the ORDER BY inside RANK() DuckDB answers for frames that hold the row only)"""
    p = Pipeline("duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match=message):
        p.execute(f"CREATE VIEW v AS {sql}")


def test_computed_limit_errors():
    """A computed LIMIT that is negative, or a subquery giving two rows, fails the step (DuckDB's
    errors) and leaves the view as it was."""
    from deltasql import DataError
    p = Pipeline("duckdb")
    p.execute(DDL)
    p.execute("CREATE VIEW v AS SELECT id FROM t ORDER BY id LIMIT (SELECT MIN(x) FROM t)")
    p.insert("t", [(1, 1, 2, None), (2, 1, 3, None), (3, 1, 4, None)])
    p.step()
    assert p.view("v").rows() == [(1,), (2,)]
    p.insert("t", [(4, 1, -1, None)])
    with pytest.raises(DataError, match="LIMIT cannot be negative"):
        p.step()
    assert p.view("v").rows() == [(1,), (2,)]
    p.delete("t", [(1, 1, 2, None)])
    p.step()
    assert p.view("v").rows() == [(2,), (3,)]  # (the failed step's row was discarded; MIN(x) is 3 now)
