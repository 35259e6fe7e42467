"""DuckDB's ordering settings (SET / PRAGMA default_null_order, default_order; compiler/settings.py)
differentially against DuckDB under random streams: top-k, DISTINCT ON, window functions and ordered
aggregates of views made under each setting, and the same queries run ad hoc.  Then the statements
themselves: spellings, RESET, refusals, a view keeping the setting it was made under, a durable
pipeline replaying its settings, the CLI's change files."""

import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import RETRACT_ALL, Spec, ViewSpec, check_steps, streams_test

TABLE = "CREATE TABLE t(id INT NOT NULL, g INT, x INT, s VARCHAR)"
DOMAINS = {"id": list(range(16)), "g": [1, 2, 3], "x": [1, 2, 3, 0, -1, 5], "s": ["a", "b", "c"]}

VIEWS = {
    "v_top": ViewSpec("SELECT id, x FROM t ORDER BY x, id LIMIT 4", ordered=True),
    "v_top_desc": ViewSpec("SELECT id, x FROM t ORDER BY x DESC, id LIMIT 3", ordered=True),
    "v_top_explicit": ViewSpec("SELECT id, x FROM t ORDER BY x NULLS LAST, id DESC NULLS FIRST LIMIT 3", ordered=True),
    "v_order_only": ViewSpec("SELECT id, x FROM t ORDER BY g, x, id", ordered=True),
    "v_distinct_on": "SELECT DISTINCT ON (g) g, id, x FROM t ORDER BY g, x, id",
    "v_rank": "SELECT id, RANK() OVER (PARTITION BY g ORDER BY x) AS rk, "
              "ROW_NUMBER() OVER (ORDER BY x DESC, id) AS rn FROM t",
    "v_frame": "SELECT id, SUM(id) OVER (ORDER BY x, id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM t",
    "v_lag": "SELECT id, LAG(id) OVER (PARTITION BY g ORDER BY x, id) AS lg FROM t",
    "v_string_agg": "SELECT g, STRING_AGG(s, ',' ORDER BY x, id) AS a, "
                    "STRING_AGG(s, '-' ORDER BY x DESC, id DESC) AS d FROM t GROUP BY g",
    "v_arg_order": "SELECT id, FIRST_VALUE(id ORDER BY x, id) OVER (PARTITION BY g) AS fv FROM t",
}


def spec(setting: str) -> Spec:
    return Spec(f"{setting}; {TABLE}", VIEWS, domains=DOMAINS, keys={"t": ("id",)}, null_rate=0.3)


SETTINGS = {
    "nulls_first": "SET default_null_order = 'nulls_first'",
    "pragma_nulls_first": "PRAGMA default_null_order='NULLS FIRST'",
    "sqlite": "SET default_null_order = 'nulls_first_on_asc_last_on_desc'",
    "postgres": "PRAGMA null_order = 'postgres'",
    "desc": "PRAGMA default_order = 'DESCENDING'",
    "desc_nulls_first": "SET default_order = 'desc'; SET default_null_order = 'nulls_first'",
    "desc_sqlite": "SET default_order = 'desc'; SET default_null_order = 'sqlite'",
    "reset": "SET default_null_order = 'nulls_first'; RESET default_null_order",
}
SPECS = {name: spec(s) for name, s in SETTINGS.items()}


test_ordering_settings = streams_test(SPECS, 10)


@pytest.mark.parametrize("name", ["nulls_first", "desc_sqlite"])
def test_nulls_duplicates_and_retraction(name):
    rows = [(1, 1, None, "a"), (2, 1, 3, "b"), (3, 2, None, "c"), (4, 2, 3, "a"), (5, 1, -1, None)]
    check_steps(SPECS[name], [[("+", "t", r) for r in rows], [("-", "t", rows[0]), ("+", "t", (6, 1, None, "a"))],
                              [("+", "t", rows[0])], RETRACT_ALL])


def rows_of(p, sql):
    return [r[0] for r in p.execute(sql)]


def test_spellings_reset_and_refusals():
    p = Pipeline()
    p.execute("CREATE TABLE t(x INT); INSERT INTO t VALUES (1), (NULL), (3)")
    q = "SELECT x FROM t ORDER BY x"
    assert rows_of(p, q) == [1, 3, None]
    for text, want in [("SET default_null_order = 'nulls_first'", [None, 1, 3]),
                       ("SET default_null_order TO 'NULLS_LAST'", [1, 3, None]),
                       ("PRAGMA default_null_order('sqlite')", [None, 1, 3]),
                       ("SET default_order = 'desc'", [3, 1, None]),
                       ("SET GLOBAL default_null_order = 'nulls first'", [None, 3, 1]),
                       ("RESET default_null_order", [3, 1, None]),
                       ("RESET default_order", [1, 3, None])]:
        p.execute(text)
        assert rows_of(p, q) == want, text
    with pytest.raises(CompileError, match="unrecognized value 'sideways' for default_null_order") as e:
        p.execute("SET default_null_order = 'sideways'")
    assert (e.value.line, e.value.col) == (1, 5)
    with pytest.raises(CompileError, match="setting threads is not supported"):
        p.execute("SET threads = 4")
    assert p.settings.is_default  # a refused setting changes nothing


def test_a_view_keeps_the_setting_it_was_made_under():
    p = Pipeline()
    p.execute("CREATE TABLE t(x INT); SET default_null_order = 'nulls_first';"
              "CREATE VIEW first2 AS SELECT x FROM t ORDER BY x LIMIT 2; RESET default_null_order;"
              "CREATE VIEW last2 AS SELECT x FROM t ORDER BY x LIMIT 2")
    p.insert("t", [(1,), (None,), (3,)])
    p.step()
    assert sorted(p.view("first2").rows(), key=str) == [(1,), (None,)]
    assert p.view("last2").rows() == [(1,), (3,)]


def test_durable_pipeline_replays_its_settings(tmp_path):
    path = str(tmp_path / "s.db")
    with Pipeline(path=path) as p:
        p.execute("CREATE TABLE t(x INT); SET default_null_order = 'nulls_first';"
                  "CREATE VIEW v AS SELECT x FROM t ORDER BY x LIMIT 2")
        p.insert("t", [(1,), (None,), (3,)])
        p.step()
    with Pipeline(path=path) as p:
        assert p.settings.default_null_order == "nulls_first"
        assert rows_of(p, "SELECT x FROM t ORDER BY x") == [None, 1, 3]
        p.execute("CREATE VIEW w AS SELECT x FROM t ORDER BY x LIMIT 1")
        assert p.view("w").rows() == [(None,)]
        p.insert("t", [(0,)])
        p.step()
        assert sorted(p.view("v").rows(), key=str) == [(0,), (None,)]


def test_cli_change_file_setting(tmp_path, capsys):
    """A setting in a script takes effect at once (not as a step); check's DuckDB mirror runs it too."""
    from tests.test_cli import run

    views = tmp_path / "v.sql"
    views.write_text("CREATE TABLE t(x INT);\nSET default_null_order = 'nulls_first';\n"
                     "CREATE VIEW v AS SELECT x FROM t ORDER BY x LIMIT 1;\n")
    changes = tmp_path / "c.sql"
    changes.write_text("INSERT INTO t VALUES (1), (NULL);\nPRAGMA default_order = 'desc';\n"
                       "CREATE VIEW w AS SELECT x FROM t ORDER BY x LIMIT 2;\nINSERT INTO t VALUES (0), (5);\n")
    code, out, err = run(capsys, "check", views, changes)
    assert code == 0, out + err
    later = tmp_path / "later.sql"  # a view keeps the setting it was made under (DuckDB's re-plans: not checked)
    later.write_text("INSERT INTO t VALUES (1), (NULL);\nRESET default_null_order;\n"
                     "CREATE VIEW w AS SELECT x FROM t ORDER BY x LIMIT 1;\nINSERT INTO t VALUES (0);\n")
    code, out, err = run(capsys, "run", views, later, "--format", "jsonl")
    assert code == 0, err
    assert '"view": "v", "weight": 1, "row": {"x": null}' in out and '"view": "w", "weight": 1, "row": {"x": 0}' in out, out


# -- SET ieee_floating_point_ops = false: inf / NaN results become errors -----------------------------

IEEE_DDL = "SET ieee_floating_point_ops = false; CREATE TABLE n(id INT NOT NULL, x DOUBLE, y DOUBLE, d DECIMAL(6, 2), i INT)"
IEEE_DOMAINS = {"id": list(range(12)), "x": [4.0, 0.5, 1.0, 2.5], "y": [2.0, 0.5, 1.0, -1.0], "d": [1.5, 2.25, -3.0],
                "i": [1, 2, 3]}
IEEE_VIEWS = {  # each view's values stay in the functions' domains except where the zero row below goes
    "v_div": "SELECT id, x / y AS q, x % y AS m, d / i AS dq, d % y AS dm, x // y AS iq FROM n",
    "v_logs": "SELECT id, ln(x) AS l, log10(x) AS l10, log2(x) AS l2, log(x, 8) AS lb, sqrt(x) AS s FROM n",
    "v_trig": "SELECT id, asin(y / 2) AS a, acos(y / 2) AS c, atanh(y / 4) AS t, cot(x) AS ct, gamma(x) AS g, "
              "lgamma(x) AS lg FROM n",
    "v_agg": "SELECT i, SUM(x) / COUNT(y) AS avg_ish, MAX(ln(x)) AS m FROM n GROUP BY i",
}
IEEE_SPEC = Spec(IEEE_DDL, IEEE_VIEWS, domains=IEEE_DOMAINS, keys={"n": ("id",)}, null_rate=0.2)


test_ieee_off_differential = streams_test(IEEE_SPEC, 10)


@pytest.mark.parametrize("row, view", [((1, 1.0, 0.0, 1.5, 1), "v_div"), ((1, 0.0, 1.0, 1.5, 1), "v_logs"),
                                       ((1, -1.0, 1.0, 1.5, 1), "v_logs"), ((1, 1.0, 4.0, 1.5, 1), "v_trig"),
                                       ((1, 0.0, 1.0, 1.5, 1), "v_trig")])
def test_ieee_off_errors_where_duckdb_errs(row, view):
    """A row that takes a function out of its domain fails the step in both engines, and changes nothing."""
    spec = Spec(IEEE_DDL, {view: IEEE_VIEWS[view]}, domains=IEEE_DOMAINS, keys={"n": ("id",)})
    check_steps(spec, [[("+", "n", (0, 4.0, 2.0, 1.5, 1))], [("+", "n", row)], [("-", "n", (0, 4.0, 2.0, 1.5, 1))],
                       RETRACT_ALL])
    p = Pipeline()
    p.execute(IEEE_DDL + f"; CREATE VIEW v AS {IEEE_VIEWS[view]}")
    p.insert("n", [row])
    with pytest.raises(DataError):
        p.step()
    assert p.view("v").rows() == []


def test_ieee_on_is_the_default():
    p = Pipeline()
    p.execute("SET ieee_floating_point_ops = false; SET ieee_floating_point_ops = true")
    assert p.execute("SELECT 1.0 / 0, ln(0)") == [(float("inf"), float("-inf"))]
    p.execute("PRAGMA ieee_floating_point_ops = 'false'")
    with pytest.raises(DataError, match="division by zero"):
        p.execute("SELECT 1.0 / 0")
    p.execute("RESET ieee_floating_point_ops")
    assert p.settings.is_default


# -- SET order_by_non_integer_literal = true: constant ORDER BY terms are skipped ------------------------

LITERAL_DDL = "SET order_by_non_integer_literal = true; CREATE TABLE o(id INT NOT NULL, a INT, s VARCHAR)"
LITERAL_SPEC = Spec(LITERAL_DDL, {
    "v_limit": ViewSpec("SELECT id, a FROM o ORDER BY 'hello', a DESC, id LIMIT 3", ordered=True),
    "v_bool": ViewSpec("SELECT a AS k FROM o UNION SELECT id FROM o ORDER BY true, k LIMIT 4", ordered=True),
    "v_null": ViewSpec("SELECT DISTINCT ON (a) a, id FROM o ORDER BY NULL, a, id", ordered=True),
    "v_agg": "SELECT a, STRING_AGG(DISTINCT s ORDER BY s, '_') AS t FROM o GROUP BY a",
}, domains={"id": list(range(10)), "a": [1, 2, 3], "s": ["x", "y", "zz"]}, keys={"o": ("id",)}, null_rate=0.2)


test_order_by_non_integer_literal = streams_test(LITERAL_SPEC, 8)


def test_order_by_non_integer_literal_off_by_default():
    p = Pipeline()
    p.execute("CREATE TABLE o(a INT)")
    with pytest.raises(CompileError, match="non-integer literal"):
        p.execute("CREATE VIEW v AS SELECT a FROM o ORDER BY 1.5, a LIMIT 1")
    p.execute("SET order_by_non_integer_literal = true")
    p.execute("CREATE VIEW v AS SELECT a FROM o ORDER BY 1.5, a LIMIT 1")
    p.insert("o", [(2,), (1,)])
    p.step()
    assert p.view("v").rows() == [(1,)]
    p.execute("RESET order_by_non_integer_literal")
    assert p.settings.is_default
