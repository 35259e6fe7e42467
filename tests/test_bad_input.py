"""Bad input of every kind gives a clear error (CompileError with line:col and a caret; DataError for
data) and leaves every table and view exactly as before; the next good step still works."""

import datetime
import decimal

import pytest

from deltasql import CompileError, DataError, Pipeline

SETUP = """
CREATE TABLE t(a INT NOT NULL, b VARCHAR, c DECIMAL(5,2));
CREATE TABLE u(a INT, d DATE);
CREATE VIEW v AS SELECT a, COUNT(*) AS n, SUM(c) AS s FROM t GROUP BY a;
CREATE VIEW w AS SELECT t.a, t.b, u.d FROM t JOIN u ON t.a = u.a;
"""


def pipeline(**kw) -> Pipeline:
    p = Pipeline(**kw)
    p.execute(SETUP)
    p.insert("t", [(1, "x", decimal.Decimal("1.50")), (1, "y", None), (2, None, decimal.Decimal("-3.00"))])
    p.insert("u", [(1, datetime.date(2024, 1, 1)), (None, None)])
    p.step()
    return p


def snapshot(p: Pipeline) -> dict:
    """Everything a user can read: tables (committed rows), views (rows and columns), and their names."""
    return {
        "tables": {t: p.table_rows(t) for t in p.tables},
        "views": {v: (p.view(v).columns, sorted(p.view(v).rows(), key=repr)) for v in p.views},
    }


def good_step_works(p: Pipeline) -> None:
    """After an error (and discarding what was queued), a good change goes through every view."""
    p.discard()
    p.step()  # what DDL before reported (a new view's first rows) is not this step's
    before = snapshot(p)
    p.insert("t", [(7, "z", decimal.Decimal("2.00"))])
    p.insert("u", [(7, datetime.date(2024, 2, 29))])
    changes = p.step()
    assert changes["v"] == [((7, 1, decimal.Decimal("2.00")), 1)]
    assert changes["w"] == [((7, "z", datetime.date(2024, 2, 29)), 1)]
    assert sorted(p.table_rows("t"), key=repr) == sorted(before["tables"]["t"] + [(7, "z", decimal.Decimal("2.00"))],
                                                          key=repr)


def compile_error(p: Pipeline, sql: str) -> CompileError:
    """Run bad SQL: it must raise CompileError and change nothing; returns the error."""
    before = snapshot(p)
    with pytest.raises(CompileError) as info:
        p.execute(sql)
    assert snapshot(p) == before
    good_step_works(p)
    return info.value


def check_rendering(e: CompileError, sql: str, line: int, col: int, message: str) -> None:
    """``line:col: message``, then the source line, then a caret under the column."""
    assert (e.line, e.col) == (line, col), str(e)
    assert e.message == message, str(e)
    text = sql.splitlines()[line - 1]
    assert str(e) == f"{line}:{col}: {message}\n  {text}\n  {' ' * (col - 1)}^"


# -- SQL: (sql, line, col, exact message) ---------------------------------------------------------

SQL_ERRORS = [
    # malformed SQL
    ("SELECT a FROM t WHERE a >", 1, 25, "syntax error: incomplete SQL: something is missing after '>'"),
    ("CREATE VIEW x AS SELECT a FROM t WHERE", 1, 34, "syntax error: incomplete SQL: something is missing after 'WHERE'"),
    ("SELECT 'abc", 1, 8, "syntax error: unterminated string literal"),
    # unknown names
    ("CREATE VIEW x AS SELECT a FROM nope", 1, 32, "unknown table 'nope'"),
    ("CREATE VIEW x AS SELECT zz FROM t", 1, 25, "unknown column 'zz'"),
    ("CREATE VIEW x AS\n  SELECT a,\n         zz\n  FROM t", 3, 10, "unknown column 'zz'"),
    ("CREATE VIEW x AS SELECT a FROM t WHERE a IN (SELECT zz FROM u)", 1, 53, "unknown column 'zz'"),
    ("CREATE VIEW x AS SELECT a FROM t ORDER BY zz", 1, 43, "unknown column 'zz'"),
    ("SELECT nofunc(a) FROM t", 1, 8, "unsupported function NOFUNC()"),
    # ambiguity and duplicates
    ("CREATE VIEW x AS SELECT a FROM t JOIN u ON t.a = u.a", 1, 25, "ambiguous column name 'a' (it is in t, u)"),
    ("CREATE VIEW x AS SELECT t.a FROM t, t", 1, 37, "duplicate table name or alias 't' in FROM (give each an alias)"),
    ("CREATE VIEW v AS SELECT 1", 1, 13, "'v' already exists"),
    ("CREATE TABLE t(a INT)", 1, 14, "'t' already exists"),
    # type errors
    ("CREATE VIEW x AS SELECT b + 1 FROM t", 1, 25, "cannot apply + to VARCHAR and INTEGER"),
    ("CREATE VIEW x AS SELECT d FROM u WHERE d", 1, 40, "a condition must be BOOLEAN, not DATE"),
    ("CREATE VIEW x AS SELECT d + 'x' FROM u", 1, 25, "cannot apply + to DATE and VARCHAR"),
    ("CREATE VIEW x AS SELECT SUM(b) FROM t", 1, 25, "SUM needs a number, not VARCHAR"),
    ("CREATE VIEW x AS SELECT a FROM t UNION SELECT b FROM t", 1, 25,
     "column 1 has types INTEGER and VARCHAR that cannot be combined"),
    ("CREATE VIEW x AS SELECT * FROM t UNION SELECT * FROM u", 1, 32,
     "each side of UNION must have the same number of columns (3 and 2)"),
    ("CREATE VIEW x AS SELECT a FROM t WHERE a IN (SELECT a, d FROM u)", 1, 53,
     "IN (subquery) must return 1 column, not 2"),
    # misuse of aggregates
    ("CREATE VIEW x AS SELECT a, b FROM t GROUP BY a", 1, 28,
     "column 't.b' must appear in the GROUP BY clause or be used in an aggregate function"),
    ("CREATE VIEW x AS SELECT a FROM t WHERE COUNT(*) > 1", 1, 40, "aggregate function COUNT(*) is not allowed here"),
    ("CREATE VIEW x AS SELECT SUM(SUM(a)) FROM t", 1, 29, "aggregate function calls cannot be nested"),
    # unsupported constructs
    ("CREATE VIEW x AS SELECT ARRAY_AGG(a) AS y FROM t", 1, 25,
     "ARRAY_AGG(x) without ORDER BY lists rows in the order they arrive, which a view cannot reproduce: "
     "write ARRAY_AGG(x ORDER BY x) (or ORDER BY other keys, then x)"),
    ("CREATE VIEW x AS SELECT a FROM t EXCEPT BY NAME SELECT a FROM t", 1, 25, "EXCEPT BY NAME is not supported"),
    ("CREATE VIEW x AS SELECT a, a FROM t UNION BY NAME SELECT a FROM t", 1, 25,
     "UNION BY NAME: column 'a' appears twice on one side"),
    ("CREATE TABLE x(a FOO)", 1, 16, "unsupported column type FOO"),
    ("CREATE VIEW x AS SELECT CAST(a AS JSON) AS y FROM t", 1, 30, "unsupported type JSON"),
    # sqlglot reads DATE '…'::VARCHAR as DATE ('…'::VARCHAR), a DATE where DuckDB and Postgres answer a VARCHAR
    ("CREATE VIEW x AS SELECT a, DATE '2020-01-01'::VARCHAR AS y FROM t", 1, 28,
     "DATE '…'::type is read as DATE ('…'::type) here, not as DuckDB reads it: write CAST(DATE '…' AS type)"),
    ("CREATE VIEW x AS SELECT ROUND_EVEN(c, a) AS y FROM t", 1, 25,
     "ROUND_EVEN of a DECIMAL needs a constant number of digits"),
    ("CREATE VIEW x AS SELECT ROUNDBANKERS(c) AS y FROM t", 1, 25,
     "ROUND_EVEN takes a number and a number of digits, not 1 argument"),
    ("CREATE VIEW x AS SELECT a FROM t LIMIT -1", 1, 41, "LIMIT must not be negative"),
    ("CREATE VIEW x AS SELECT a FROM t ORDER BY 1.5", 1, 43, "ORDER BY a non-integer literal (1.5) has no effect"),
    ("CREATE VIEW x AS SELECT a, rowid FROM t", 1, 28,
     "rowid (DuckDB's insertion position of a row) is not supported: deltasql's tables are multisets of rows, "
     "which have no position; give the table a key column instead"),
    # what DuckDB refuses as it parses or binds (deltasql used to accept it)
    ("CREATE VIEW x AS SELECT a FROM t ORDER BY NULL, a", 1, 43, "ORDER BY a non-integer literal (NULL) has no effect"),
    ("CREATE VIEW x AS SELECT a FROM t ORDER BY 'x'", 1, 43, "ORDER BY a non-integer literal ('x') has no effect"),
    ("CREATE VIEW x AS SELECT DISTINCT ON (TRUE) a FROM t ORDER BY a", 1, 38,
     "DISTINCT ON a non-integer literal (TRUE) has no effect"),
    ("CREATE VIEW x AS WITH c AS (SELECT 1), C AS (SELECT 2) SELECT * FROM c", 1, 40, "duplicate CTE name 'c'"),
    ("CREATE VIEW x AS WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3 OFFSET 1) "
     "SELECT * FROM r", 1, 102, "LIMIT or OFFSET in a recursive query is not allowed"),
    ("CREATE VIEW x AS SELECT NTILE() OVER (ORDER BY a) FROM t", 1, 25, "NTILE needs the number of buckets"),
    ("CREATE VIEW x AS SELECT SUM(a) OVER (ORDER BY a ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM t", 1, 62,
     "a window frame starting from a following row cannot end at the current row"),
    ("CREATE VIEW x AS SELECT SUM(a) OVER (ROWS BETWEEN UNBOUNDED FOLLOWING AND CURRENT ROW) FROM t", 1, 25,
     "a window frame cannot start at UNBOUNDED FOLLOWING"),
    ("CREATE VIEW x AS SELECT a FROM t JOIN u USING (a) GROUP BY u.a HAVING a > 1", 1, 71,
     "column 'a' must appear in the GROUP BY clause or be used in an aggregate function"),
    # (under UNION, DuckDB's dialect evaluates these by iterations: compiler/iterative_recursion.py)
    ("CREATE VIEW x AS WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL SELECT e.a FROM r JOIN t e ON r.n = e.a "
     "WHERE e.a NOT IN (SELECT n FROM r)) SELECT n FROM r", 1, 68,
     "recursive CTE r is not stratifiable: the cycle r -> r goes through a negation (NOT EXISTS / NOT IN)"),
    ("CREATE VIEW x AS WITH RECURSIVE d(n, k) AS (SELECT 0, 0 UNION ALL SELECT t.a, MIN(d.k) + 1 FROM d JOIN t "
     "ON d.n = t.a WHERE d.k < 4 GROUP BY t.a) SELECT n, k FROM d", 1, 74,
     "recursive CTE d is not stratifiable: the cycle d -> d goes through an aggregation"),
    # statements on the wrong kind of object
    ("INSERT INTO v VALUES (1, 2, 3)", 1, 13, "cannot insert into view 'v'"),
    ("INSERT INTO nope VALUES (1)", 1, 13, "unknown table 'nope'"),
    ("INSERT INTO t VALUES (1, 'x')", 1, 23, "INSERT has 3 target columns but a VALUES row has a different number"),
    ("UPDATE t SET zz = 1", 1, 14, "unknown column 'zz' of t"),
    ("DELETE FROM nope WHERE a = 1", 1, 13, "unknown table 'nope'"),
    ("DROP VIEW nope", 1, 11, "unknown view 'nope'"),
    ("DROP TABLE nope", 1, 12, "unknown table 'nope'"),
    ("DROP TABLE t", 1, 12, "cannot drop 't': views v, w depend on it"),
    ("DROP TABLE u", 1, 12, "cannot drop 'u': view w depends on it"),
]


@pytest.mark.parametrize("sql,line,col,message", SQL_ERRORS, ids=[m for _s, _l, _c, m in SQL_ERRORS])
def test_sql_error(sql, line, col, message):
    p = pipeline()
    e = compile_error(p, sql)
    check_rendering(e, sql, line, col, message)


def test_error_in_a_later_statement_points_into_the_whole_script():
    p = pipeline()
    sql = "CREATE TABLE z(q INT);\n\nCREATE VIEW zz AS\n  SELECT q, nope FROM z"
    with pytest.raises(CompileError) as info:
        p.execute(sql)
    check_rendering(info.value, sql, 4, 13, "unknown column 'nope'")
    assert "zz" not in p.views


def test_syntax_error_position_is_on_its_line():
    p = pipeline()
    e = compile_error(p, "CREATE VIEW x AS SELECT a\nFROM t\nWHERE a = = 1")
    assert e.line == 3 and e.message.startswith("syntax error")
    assert str(e).splitlines()[1] == "  WHERE a = = 1"


def test_create_view_backfill_error_names_the_view():
    p = pipeline()
    with pytest.raises(DataError) as info:
        p.execute("CREATE VIEW q AS SELECT a // (a - 1) AS x FROM t")
    assert str(info.value) == "view q: division by zero; nothing was changed"


def test_failed_create_view_leaves_no_operators_behind():
    """A view that fails while being built (its backfill overflows) is not half-installed."""
    p = pipeline()
    p.insert("t", [(2_000_000_000, None, None)])
    p.step()
    before = snapshot(p)
    with pytest.raises(DataError, match="overflow"):
        p.execute("CREATE VIEW big AS SELECT a * 2 AS x FROM t")
    assert snapshot(p) == before and "big" not in p.views
    p.execute("CREATE VIEW big AS SELECT a // 2 AS x FROM t")   # the name is free again
    assert sorted(p.view("big").rows()) == [(0,), (0,), (1,), (1_000_000_000,)]
    good_step_works(p)


def test_drop_then_recreate():
    p = pipeline()
    p.execute("DROP VIEW w")
    assert "w" not in p.views
    p.execute("DROP VIEW v; DROP TABLE u")
    assert p.tables == ["t"] and p.views == []
    p.execute("CREATE TABLE u(a INT, d DATE); CREATE VIEW v AS SELECT a, COUNT(*) AS n, SUM(c) AS s FROM t GROUP BY a;"
              "CREATE VIEW w AS SELECT t.a, t.b, u.d FROM t JOIN u ON t.a = u.a")
    assert sorted(p.view("v").rows()) == [(1, 2, decimal.Decimal("1.50")), (2, 1, decimal.Decimal("-3.00"))]
    assert p.view("w").rows() == []          # u is new and empty
    # the re-created views report their first rows with the next step (the delta stream is complete)
    assert p.step() == {"v": [((1, 2, decimal.Decimal("1.50")), 1), ((2, 1, decimal.Decimal("-3.00")), 1)]}
    good_step_works(p)


def test_drop_if_exists_is_quiet():
    p = pipeline()
    before = snapshot(p)
    p.execute("DROP VIEW IF EXISTS nope; DROP TABLE IF EXISTS nope")
    assert snapshot(p) == before


# -- data: rows that do not fit --------------------------------------------------------------------


DATA_ERRORS = [
    (lambda p: p.insert("t", [(1, "x")]), "t: expected 3 values (a, b, c), got 2"),
    (lambda p: p.insert("t", [(1, "x", 1, 2)]), "t: expected 3 values (a, b, c), got 4"),
    (lambda p: p.insert("t", [(None, "x", 1)]), "t.a: NULL in a NOT NULL column"),
    (lambda p: p.insert("t", [{"b": "x"}]), "t.a: NULL in a NOT NULL column"),
    (lambda p: p.insert("t", [("one", "x", 1)]), "t.a: 'one' is not a valid INTEGER"),
    (lambda p: p.insert("t", [(1.5, "x", 1)]), "t.a: 1.5 is not a valid INTEGER"),
    (lambda p: p.insert("t", [(True, "x", 1)]), "t.a: true is not a valid INTEGER"),
    (lambda p: p.insert("t", [(1, 2, 1)]), "t.b: 2 is not a valid VARCHAR"),
    (lambda p: p.insert("t", [(1, "x", "abc")]), "t.c: 'abc' is not a valid DECIMAL(5,2)"),
    (lambda p: p.insert("t", [(1, "x", 1000)]), "t.c: 1000 does not fit DECIMAL(5,2)"),
    (lambda p: p.insert("t", [(2 ** 31, "x", 1)]), "t.a: 2147483648 is out of range for INTEGER"),
    (lambda p: p.insert("t", [{"a": 1, "zz": 2}]), "t: unknown column(s) zz"),
    (lambda p: p.insert("t", ["abc"]), "t: a row must be a tuple, list or dict, not str"),
    (lambda p: p.insert("u", [(1, "not a date")]), "u.d: 'not a date' is not a valid DATE"),
    (lambda p: p.insert("u", [(1, "2023-02-29")]), "u.d: '2023-02-29' is not a valid DATE"),
    (lambda p: p.insert("u", [(1, datetime.datetime(2020, 1, 1, 5))]),
     "u.d: '2020-01-01 05:00:00' is not a valid DATE"),
    (lambda p: p.insert("nope", [(1,)]), "unknown table 'nope'"),
    # a constant that does not convert fails for the rows that reach it (over no rows, no error: DuckDB)
    (lambda p: p.execute("CREATE VIEW x AS SELECT a FROM t WHERE a = 'x'"),
     "view x: cannot cast 'x' to an integer; nothing was changed"),
    (lambda p: p.insert("v", [(1, 1, 1)]), "'v': a view (views cannot be changed directly)"),
    (lambda p: p.delete("t", [(5, "x", 1)]),
     "cannot delete (5, 'x', 1.00) from t: the row is not in the table"),
    (lambda p: p.delete("t", [(2, None, -3), (2, None, -3)]),
     "cannot delete (2, NULL, -3.00) from t: the row is not in the table (2 copies asked, 1 present)"),
    (lambda p: p.delete("t", [(1, "x")]), "t: expected 3 values (a, b, c), got 2"),
    pytest.param(lambda p: p.execute("INSERT INTO t VALUES (NULL, 'x', 1)"),
                 "t.a: NULL in a NOT NULL column (line 1, column 23)"),
    pytest.param(lambda p: p.execute("INSERT INTO t VALUES (1, 'x', 1.5),\n  (2, 'y', 12345.6)"),
                 "t.c: 12345.6 does not fit DECIMAL(5,2) (line 2, column 12)"),
    pytest.param(lambda p: p.execute("INSERT INTO t VALUES (1, 'x', 'bad')"),
                 "t.c: 'bad' is not a valid DECIMAL(5,2) (line 1, column 31)"),
    (lambda p: p.execute("UPDATE t SET a = NULL WHERE b = 'x'"), "t.a: NULL in a NOT NULL column"),
    (lambda p: p.view("nope"), "unknown view 'nope'"),
    (lambda p: p.table_rows("nope"), "unknown table 'nope'"),
]


@pytest.mark.parametrize("action,message", DATA_ERRORS,
                         ids=[(d.values if hasattr(d, "values") else d)[1] for d in DATA_ERRORS])
def test_data_error(action, message):
    p = pipeline()
    before = snapshot(p)
    with pytest.raises(DataError) as info:
        action(p)
    assert str(info.value) == message
    assert snapshot(p) == before
    assert p.step() == {}            # nothing of the bad call was queued
    good_step_works(p)


def test_data_error_position_is_fields():
    """The value to blame is placed by fields (line, col relative to the statement), not text that
    a caller parses back; str() still ends with the position."""
    p = pipeline()
    with pytest.raises(DataError) as info:
        p.execute("INSERT INTO t VALUES (1, 'x', 1.5),\n  (2, 'y', 12345.6)")
    e = info.value
    assert (e.message, e.line, e.col) == ("t.c: 12345.6 does not fit DECIMAL(5,2)", 2, 12)
    with pytest.raises(DataError) as info:
        p.delete("t", [(5, "x", 1)])
    assert info.value.line is None and str(info.value) == info.value.message


def test_bad_row_in_a_batch_queues_none_of_it():
    p = pipeline()
    with pytest.raises(DataError):
        p.insert("t", [(3, "ok", 1), (4, "bad", "x")])
    with pytest.raises(DataError):
        p.delete("t", [(1, "x", decimal.Decimal("1.50")), (9, "absent", None)])
    assert p.step() == {}
    good_step_works(p)


def test_delete_counts_queued_changes():
    """A row inserted earlier in the same step can be deleted; one deleted twice cannot."""
    p = pipeline()
    p.insert("t", [(5, "new", None)])
    p.delete("t", [(5, "new", None)])
    p.delete("t", [(2, None, decimal.Decimal("-3.00"))])
    with pytest.raises(DataError, match="the row is not in the table"):
        p.delete("t", [(2, None, decimal.Decimal("-3.00"))])
    assert p.step() == {"v": [((2, 1, decimal.Decimal("-3.00")), -1)]}


# -- steps that fail while evaluating ---------------------------------------------------------------

@pytest.mark.parametrize("expr", [
    "a // c", "a % c", "a // (a - 3)", "a % (a - 3)"])
def test_division_by_zero_fails_the_step(expr):
    """DuckDB dialect: integer division and modulo by zero are errors; the whole step is undone."""
    p = pipeline()
    p.execute(f"CREATE VIEW q AS SELECT a, {expr} AS x FROM t WHERE c IS NOT NULL")
    # one of these rows divides by zero (c = 0 or a = 3), so none of them may arrive
    p.insert("t", [(3, "ok", decimal.Decimal("1.00")), (1, "zero", decimal.Decimal("0.00"))])
    p.insert("u", [(3, None)])
    before = snapshot(p)
    with pytest.raises(DataError) as info:
        p.step()
    assert str(info.value) == "q: division by zero; nothing was changed and the step's queued changes were discarded"
    assert snapshot(p) == before
    good_step_works(p)
    assert 7 in [a for a, _x in p.view("q").rows()]


def test_float_division_by_zero_is_not_an_error():
    p = pipeline()
    p.execute("CREATE VIEW q AS SELECT a / 0 AS x, CAST(c AS DOUBLE) / 0 AS y FROM t WHERE a = 2")
    assert p.view("q").rows() == [(float("inf"), float("-inf"))]


def test_overflow_fails_the_step():
    p = pipeline()
    p.execute("CREATE VIEW q AS SELECT a * 1000000000 AS x FROM t")
    assert p.step() == {"q": [((1_000_000_000,), 2), ((2_000_000_000,), 1)]}  # its first rows
    p.insert("t", [(3, None, None)])
    before = snapshot(p)
    with pytest.raises(DataError, match=r"^q: integer overflow: 3000000000 does not fit 32-bit integer; "
                                        r"nothing was changed and the step's queued changes were discarded$"):
        p.step()
    assert snapshot(p) == before
    p.discard()
    p.insert("t", [(2, None, None)])
    assert p.step()["q"] == [((2_000_000_000,), 1)]


def test_ad_hoc_query_failure_changes_nothing():
    p = pipeline()
    before = snapshot(p)
    with pytest.raises(DataError, match="^query: division by zero; nothing was changed$"):
        p.execute("SELECT a % 0 FROM t")
    assert snapshot(p) == before
    good_step_works(p)


def test_nonterminating_recursion_at_create_view():
    p = pipeline(max_iterations=50)
    before = snapshot(p)
    with pytest.raises((CompileError, DataError)) as info:
        p.execute("CREATE VIEW c AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c) SELECT n FROM c")
    assert "did not reach a fixpoint within 50 iterations" in str(info.value)
    assert snapshot(p) == before and "c" not in p.views
    good_step_works(p)


def test_nonterminating_recursion_at_step():
    p = pipeline(max_iterations=50)
    p.execute("CREATE VIEW c AS WITH RECURSIVE r(n) AS (SELECT a FROM t UNION ALL SELECT n - 1 FROM r WHERE n < 0) "
              "SELECT n FROM r")
    assert sorted(p.view("c").rows()) == [(1,), (1,), (2,)]
    p.insert("t", [(-1, "runaway", None)])
    before = snapshot(p)
    with pytest.raises(DataError) as info:
        p.step()
    assert str(info.value) == ("c: WITH RECURSIVE r did not reach a fixpoint within 50 iterations; nothing was "
                               "changed and the step's queued changes were discarded")
    assert snapshot(p) == before
    good_step_works(p)
    assert sorted(p.view("c").rows()) == [(1,), (1,), (2,), (7,)]


def test_view_handle_of_dropped_view():
    p = pipeline()
    h = p.view("w")
    p.execute("DROP VIEW w")
    with pytest.raises(DataError, match="^view 'w' no longer exists$"):
        h.rows()
