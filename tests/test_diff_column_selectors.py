"""DuckDB's COLUMNS(…) selector (compiler/column_selectors.py writes it out before qualify) against
DuckDB under random streams with duplicates, NULLs and a final retraction, also on three simulated
workers; the names of the columns it makes and the errors DuckDB raises, checked against DuckDB too."""

import duckdb
import pytest

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, ViewSpec, check_steps, seeds_test, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, key1 INT, key2 INT, v INT, name VARCHAR); CREATE TABLE u(key1 INT, w INT)"
VIEWS = {
    "v_star": "SELECT COLUMNS(*) FROM t",
    "v_regex_plus": "SELECT COLUMNS('key') + 1 FROM t",
    "v_min_all": "SELECT MIN(COLUMNS(*)), COUNT(COLUMNS('key')) FROM t",
    "v_grouped": "SELECT key1, MAX(COLUMNS(* EXCLUDE (key1, id))) FROM t GROUP BY key1",
    "v_list": "SELECT COLUMNS(['key2', 'V']) FROM t",
    "v_lambda": "SELECT COLUMNS(lambda c: c LIKE 'k%' OR c = 'v') * 2 FROM t",
    "v_lambda_position": "SELECT COLUMNS(lambda c, i: i > 3) FROM t",
    "v_replace_rename": "SELECT COLUMNS(* EXCLUDE (id) REPLACE (v + 1 AS v) RENAME (name AS label)) FROM t",
    "v_where_and": "SELECT id, v FROM t WHERE COLUMNS('key') = 1 OR v > 2",
    "v_where_in": "SELECT id FROM t WHERE COLUMNS(['key1', 'key2']) IN (1, 2)",
    "v_unpack": "SELECT id, coalesce(*COLUMNS('key'), -1) AS first_key, [*COLUMNS('key')] AS keys, "
                "greatest(*COLUMNS(['v', 'key1'])) AS g FROM t",
    "v_replace_inside": "SELECT COLUMNS(* EXCLUDE (id, name) REPLACE (v + 1 AS v)) * 2 FROM t",
    "v_join_using": "SELECT COLUMNS('k') FROM t JOIN u USING (key1)",
    "v_join_table": "SELECT COLUMNS(u.*), t.id FROM t JOIN u ON t.key1 = u.key1",
    "v_name_filters": "SELECT * LIKE 'key%', * ~ '^v', * GLOB 'n*' FROM t",
    "v_name_filters_star": "SELECT t.* EXCLUDE (id) NOT LIKE 'k%', u.* ILIKE 'W' FROM t JOIN u USING (key1)",
    "v_window": "SELECT id, SUM(v) OVER (PARTITION BY COLUMNS('key')) FROM t",
    "v_filter": "SELECT MIN(COLUMNS('key')) FILTER (WHERE v > COLUMNS('key')) FROM t",
    "v_distinct_on": ViewSpec("SELECT DISTINCT ON (COLUMNS('key')) * FROM t ORDER BY key1, key2, v, id"),
    "v_distinct_on_star": ViewSpec("SELECT DISTINCT ON (COLUMNS(* EXCLUDE (id, v, name))) id, key1, key2 "
                                   "FROM t ORDER BY key1, key2, id"),
    "v_order": ViewSpec("SELECT id, key1, key2 FROM t ORDER BY COLUMNS('key') DESC, id LIMIT 3", ordered=True),
    "v_nested": "SELECT COLUMNS('y2') FROM (SELECT COLUMNS('key') AS \"k\\0\" FROM t) AS s",
    "v_cte": "WITH c AS (SELECT key1 AS a1, v AS a2 FROM t) SELECT COLUMNS('a') * 2 FROM c",
}
SPEC = Spec(DDL, VIEWS, domains={"id": list(range(10)), "key1": [1, 2, 3], "key2": [1, 2], "v": [0, 1, 3, 5],
                                 "name": ["a", "b"], "w": [10, 20]},
            keys={"t": ("id",)}, null_rate=0.2)


test_column_selectors = streams_test(SPEC, 10)


def test_fixed_stream():
    t = [(1, 1, 1, 2, "a"), (2, 1, 1, 3, "b"), (3, 2, None, 4, None), (4, 1, 1, 2, "a"), (5, None, 2, None, "b")]
    u = [(1, 10), (2, 20), (2, 20), (None, 10)]
    check_steps(SPEC, [[("+", "t", r) for r in t] + [("+", "u", r) for r in u],
                       [("-", "t", t[0]), ("-", "u", u[1])], RETRACT_ALL])


test_three_workers = seeds_test(SPEC, [1, 2], workers=3)


def _both(sql):
    """(DuckDB's column names, deltasql's) for sql over the tables of DDL."""
    con = duckdb.connect()
    con.execute(DDL)
    p = Pipeline(dialect="duckdb")
    p.execute(DDL)
    return [d[0] for d in con.execute(sql).description], p.query(sql).columns


@pytest.mark.parametrize("sql", [
    "SELECT COLUMNS('key') + 1 FROM t",
    "SELECT MIN(COLUMNS(* EXCLUDE (id))) FROM t",
    "SELECT COLUMNS(* RENAME (v AS w2)) FROM t",
    "SELECT COLUMNS('(k)ey(\\d)') AS \"\\2_\\1\" FROM t",
    "SELECT COLUMNS('key') AS \"x\\0\" FROM t",
    "SELECT COLUMNS('v') AS only FROM t",
    "SELECT * NOT LIKE 'k%' FROM t",
    "SELECT COLUMNS(* EXCLUDE (name) RENAME (v AS w)) + 0 FROM t",
    "SELECT COLUMNS(['v', 'key1']) FROM t",
    "SELECT * AS only FROM (SELECT v FROM t)",
    "SELECT * FROM (VALUES (1, 2)) AS v",  # DuckDB names VALUES columns col0, col1, …
    "SELECT col1, col0 FROM (VALUES (1, 2)), (VALUES (3)) AS w(x)",
])
def test_names_as_duckdb(sql):
    duck, ours = _both(sql)
    assert ours == duck


@pytest.mark.parametrize("sql, message, col", [
    ("SELECT COLUMNS('zz') FROM t", "no column matches the regular expression 'zz'", 8),
    ("SELECT COLUMNS(['key1', 'nope']) FROM t", "column 'nope' is not in the FROM clause", 25),
    ("SELECT COLUMNS('key') + COLUMNS('v') FROM t", "two different COLUMNS", 25),
    ("SELECT COUNT(*) FROM t GROUP BY COLUMNS('key')", "not allowed in GROUP BY", 33),
    ("SELECT 1 FROM t HAVING COLUMNS('key') > 1", "not allowed in HAVING", 24),
    ("SELECT * FROM t QUALIFY COLUMNS('key') = 1", "not allowed in QUALIFY", 25),
    ("SELECT *COLUMNS('key') FROM t", "write COLUMNS", 9),
    ("SELECT COLUMNS(1) FROM t", "COLUMNS(…) takes", 8),
    ("SELECT COLUMNS(lambda c: v > 1) FROM t", "may only read its parameters", 26),
    ("SELECT COLUMNS(lambda c: c = 'zz') FROM t", "no column name satisfies the condition", 8),
    ("SELECT COLUMNS('(') FROM t", "does not compile", 8),
    ("SELECT COLUMNS('a')", "needs a FROM clause", 8),
    ("SELECT * REPLACE (v + 1 AS v) LIKE 'k%' FROM t", "cannot be combined with a filter of the names", 8),
])
def test_errors_as_duckdb(sql, message, col):
    refused_as_duckdb(DDL, sql, message, col)


def refused_as_duckdb(ddl, sql, message, col):
    """DuckDB refuses sql; so does deltasql, with message at line 1, column col of sql, and nothing made."""
    con = duckdb.connect()
    con.execute(ddl)
    with pytest.raises(duckdb.Error):
        con.execute(sql)
    p = Pipeline(dialect="duckdb")
    p.execute(ddl)
    with pytest.raises(CompileError) as e:
        p.execute(f"CREATE VIEW bad AS {sql}")
    assert message in e.value.message
    assert (e.value.line, e.value.col) == (1, col + len("CREATE VIEW bad AS "))
    assert p.views == []


def test_name_filters_follow_the_regex_setting():
    """SET regex_match_operator_semantics = 'full': * ~ p and * ~* p match whole names (DuckDB's
    regex_operators.test; deltasql folds column names to lower case, so "Bcd" is bcd)."""
    ddl = 'CREATE TABLE r(abc INTEGER, "Bcd" INTEGER, def INTEGER)'
    p = Pipeline(dialect="duckdb")
    p.execute(ddl)
    p.execute("CREATE VIEW partial AS SELECT * ~* 'b' FROM r")
    p.execute("SET regex_match_operator_semantics = 'full'")
    p.execute("CREATE VIEW whole AS SELECT * ~* 'b.*' FROM r")
    con = duckdb.connect()
    con.execute(ddl)
    assert p.columns("partial") == [d[0].lower() for d in con.execute("SELECT * ~* 'b' FROM r").description]
    con.execute("SET regex_match_operator_semantics = 'full'")
    assert p.columns("whole") == [d[0].lower() for d in con.execute("SELECT * ~* 'b.*' FROM r").description]
