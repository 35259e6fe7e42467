"""LIST values against DuckDB: columns, literals, casts, comparisons and ordering, GROUP BY /
DISTINCT / JOIN on lists, indexing and slicing, and the list functions, under random insert/delete
streams with NULL lists, NULL elements, empty lists, duplicates and a final retraction."""

import json

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.sqllib.lists import SqlList
from tests.harness import Spec, streams_test

L = SqlList
DDL = "CREATE TABLE t(id INT, xs INT[], ys INT[], s VARCHAR, ws VARCHAR[], ds DOUBLE[])"
INT_LISTS = [L((1, 2)), L((1, None)), L(()), L((None,)), L((2,)), L((1,)), L((3, 1, 3)), L((1, 2, None)),
             L((None, 1)), L((-1, 5, 0))]
DOMAINS = {
    "id": [0, 1, 2, -1, 3, -2, 5],
    "xs": INT_LISTS, "ys": INT_LISTS[2:] + [L((1, 2, 3, 4))],
    "s": ["a,b", "", "a,,b", "x", ",", "a b,c"],
    "ws": [L(("a", "b")), L(("a,b", None)), L(("",)), L(()), L(("NULL", "x y")), L(("b", "a", "b")), L((" a", "it's"))],
    "ds": [L((1.5, None)), L((float("nan"), 1.0)), L(()), L((0.1, -2.0)), L((2.0,))],
}


def spec(views, **kw):
    return Spec(DDL, views, domains=DOMAINS, **kw)


SPECS = {
    "values": spec({
        "v_all": "SELECT * FROM t",
        "v_cmp": "SELECT xs, ys, xs = ys AS eq, xs <> ys AS ne, xs < ys AS lt, xs >= ys AS ge, "
                 "xs IS DISTINCT FROM ys AS dist, xs = [1, 2] AS lit, xs IS NULL AS n FROM t",
        "v_where": "SELECT id, xs FROM t WHERE xs > [1] AND ys <> []",
        "v_literals": "SELECT id, [id, NULL] AS a, [] AS e, [s, 'x'] AS b, [[id], NULL, []] AS nested, "
                      "list_value(id, id + 1) AS lv, ARRAY[1.5, id] AS dec FROM t",
        "v_cast": "SELECT xs, CAST(xs AS VARCHAR) AS tx, CAST(ws AS VARCHAR) AS tw, CAST(ds AS VARCHAR) AS td, "
                  "CAST(xs AS BIGINT[]) AS big, CAST(xs AS DOUBLE[]) AS dbl, CAST(CAST(xs AS VARCHAR) AS INT[]) AS back, "
                  "CAST(xs AS VARCHAR[]) AS texts, CAST(CAST(ws AS VARCHAR) AS VARCHAR[]) AS wback FROM t",
    }, dml=True),
    "relational": spec({
        "v_group": "SELECT xs, COUNT(*) AS n, MIN(ys) AS lo, MAX(ys) AS hi, COUNT(DISTINCT ws) AS nw FROM t GROUP BY xs",
        "v_distinct": "SELECT DISTINCT xs, ws FROM t",
        "v_join": "SELECT a.id, b.id AS bid, a.xs FROM t a JOIN t b ON a.xs = b.ys",
        "v_top": "SELECT DISTINCT xs FROM t ORDER BY xs DESC LIMIT 3",
        "v_minmax": "SELECT MIN(xs) AS lo, MAX(xs) AS hi, MIN(ds) AS dlo, MAX(ds) AS dhi FROM t",
        "v_union": "SELECT xs FROM t UNION SELECT ys FROM t",
        "v_in": "SELECT id, xs FROM t WHERE xs IN ([1, 2], [], [NULL])",
    }),
    "indexing": spec({
        "v_index": "SELECT id, xs, xs[1] AS first, xs[-1] AS last, xs[id] AS at, xs[0] AS zero, "
                   "ws[2] AS w2, [[1, 2], [3]][2][1] AS nested, list_extract(xs, id) AS ex, "
                   "list_element(ws, -2) AS el FROM t",
        "v_slice": "SELECT id, xs, xs[2:3] AS mid, xs[:2] AS head, xs[2:] AS tail, xs[-2:] AS last2, "
                   "xs[(id):] AS from_id, xs[:(id)] AS to_id, xs[:id] AS to_name, xs[:id + 1] AS to_expr, "
                   "xs[-10:10] AS wide, xs[3:1] AS empty, "
                   "list_slice(xs, id, 2) AS fs, array_slice(xs, -2, id) AS fa, array_slice(s, 1, id) AS ss FROM t",
        "v_length": "SELECT xs, len(xs) AS n, array_length(ws) AS nw, length(xs) AS l FROM t",
    }),
    "functions": spec({
        "v_contains": "SELECT id, xs, list_contains(xs, id) AS c, list_has(xs, 1) AS h, list_position(xs, id) AS p, "
                      "array_position(xs, NULL) AS pn, list_contains(ds, 1.0) AS cd, list_contains(ws, s) AS cw FROM t",
        "v_concat": "SELECT xs, ys, list_concat(xs, ys) AS c, xs || ys AS op, list_concat(xs, NULL) AS cn, "
                    "list_cat(xs, [id], ys) AS c3, list_append(xs, id) AS ap, list_prepend(id, ys) AS pp FROM t",
        "v_split": "SELECT s, string_split(s, ',') AS p, string_split(s, '') AS chars, str_split(s, ' ') AS w, "
                   "string_to_array(s, ',') AS arr FROM t",
        "v_regex": "SELECT s, regexp_extract_all(s, '[a-z]+') AS words, regexp_extract_all(s, '(a)(,)?', 2) AS g2, "
                   "regexp_extract_all(s, 'A', 0, 'i') AS ci, regexp_extract_all(s, ',*') AS empties, "
                   "UNNEST(regexp_extract_all(s, '[^,]+')) AS piece FROM t",
        "v_sort": "SELECT xs, list_sort(xs) AS a, list_sort(xs, 'DESC') AS d, list_reverse_sort(xs) AS r, "
                  "list_sort(xs, 'ASC', 'NULLS FIRST') AS nf, list_sort(ws) AS ws_sorted, list_sort(ds) AS ds_sorted, "
                  "list_reverse(xs) AS rev FROM t",
        "v_aggr": "SELECT xs, ds, list_sum(xs) AS s, list_min(xs) AS lo, list_max(xs) AS hi, list_min(ws) AS wlo, "
                  "list_unique(xs) AS u, list_sum(ds) AS sd, list_max(ds) AS dhi FROM t",
        "v_aggr2": "SELECT xs, ds, list_first(xs) AS f, list_last(ws) AS l, list_count(xs) AS c, list_avg(xs) AS a, "
                   "list_avg(ds) AS ad, list_aggr(xs, 'sum') AS s, list_aggregate(ws, 'max') AS m FROM t",
        "v_sets": "SELECT xs, ys, list_has_any(xs, ys) AS a, list_has_all(xs, ys) AS b, "
                  "flatten([xs, NULL, ys]) AS f, array_to_string(ws, '-') AS j, array_to_string(xs, ', ') AS jx FROM t",
    }),
    "aggregates": spec({
        "v_list": "SELECT s, LIST(id ORDER BY id) AS ids, ARRAY_AGG(xs ORDER BY xs DESC) AS lists, "
                  "LIST(id ORDER BY id DESC NULLS FIRST) AS nf, COUNT(*) AS n FROM t GROUP BY s",
        "v_keys": "SELECT s, LIST(id ORDER BY xs, id) AS by_xs, LIST(ws ORDER BY len(ws) DESC, ws) AS by_len "
                  "FROM t GROUP BY s",
        "v_distinct": "SELECT s, LIST(DISTINCT id ORDER BY id DESC) AS d, ARRAY_AGG(DISTINCT xs ORDER BY xs) AS dx "
                      "FROM t GROUP BY s",
        "v_global": "SELECT LIST(ds ORDER BY ds) AS a, LIST(id ORDER BY id) FILTER (WHERE id > 0) AS pos FROM t",
        "v_over_lists": "SELECT ids, COUNT(*) AS n FROM (SELECT s, LIST(id ORDER BY id) AS ids FROM t GROUP BY s) "
                        "GROUP BY ids",
    }),
    "lambdas": spec({
        "v_transform": "SELECT id, xs, list_transform(xs, lambda x: x * 2 + 1) AS a, "
                       "list_transform(xs, lambda x, i: x - i) AS b, array_transform(ws, lambda w: w || '!') AS c, "
                       "list_transform(xs, lambda x: [x, NULL]) AS d, list_apply(ds, lambda d: d / 2) AS e FROM t",
        "v_filter": "SELECT id, list_filter(xs, lambda x: x > 1) AS a, array_filter(ws, lambda w, i: i % 2 = 1) AS b, "
                    "list_filter(xs, lambda x: x IS NULL) AS c, list_filter(ds, lambda d: d >= 1.0) AS d FROM t",
        "v_nested": "SELECT id, list_transform([xs, ys], lambda l: list_filter(l, lambda e: e <> 1)) AS n, "
                    "len(list_filter(xs, lambda x: x = 3)) AS threes FROM t WHERE list_filter(xs, lambda x: x > 2) <> []",
        "v_reduce": "SELECT id, xs, list_reduce(xs, lambda a, x: a + x, 0) AS s, "
                    "list_reduce(xs, lambda a, x, i: a * 2 + x * i, id) AS w, "
                    "CASE WHEN len(ws) > 0 THEN list_reduce(ws, lambda a, w: a || '-' || w) END AS j, "
                    "list_reduce(ds, lambda a, d: a + d, 0.5) AS sd, list_reduce(xs, lambda a, x: a / 2 + x, 1) AS h FROM t",
        "v_captures": "SELECT id, s, list_transform(xs, lambda x: x + id) AS a, list_filter(ws, lambda w: w < s) AS b, "
                      "list_transform(xs, lambda x: list_filter(ys, lambda y: y > x + id)) AS c, "
                      "list_reduce(xs, lambda a, x: a + x * id, id) AS d, [x * id FOR x IN ys IF x <> id] AS e FROM t",
        "v_comprehension": "SELECT id, [x + 1 FOR x IN xs IF x > 1] AS a, [w || '?' FOR w IN ws] AS b, "
                           "[i * 10 FOR d, i IN ds] AS c, [[x] FOR x IN xs IF x IS NULL] AS d FROM t",
    }),
    "unnest": spec({
        "v_select": "SELECT id, UNNEST(xs) AS x FROM t",
        "v_expr": "SELECT id, s, UNNEST(ws) || '!' AS w FROM t WHERE id > 0",
        "v_from": "SELECT t.id, u.x FROM t, UNNEST(t.xs) AS u(x) WHERE u.x IS NULL OR u.x > 0",
        "v_left": "SELECT id, x FROM t LEFT JOIN UNNEST(ys) AS u(x) ON TRUE",
        "v_count": "SELECT x, COUNT(*) AS n, SUM(id) AS s FROM (SELECT id, UNNEST(xs) AS x FROM t) GROUP BY x",
        "v_distinct": "SELECT DISTINCT UNNEST(ws) AS w FROM t",
        "v_roundtrip": "SELECT s, LIST(x ORDER BY x) AS back FROM t, UNNEST(xs) AS u(x) GROUP BY s",
        "v_split": "SELECT id, UNNEST(string_split(s, ',')) AS part FROM t",
        "v_const": "SELECT id, c FROM t CROSS JOIN UNNEST([1, NULL, 2]) AS u(c)",
        "v_subquery": "SELECT UNNEST((SELECT LIST(id ORDER BY id) FROM t)) AS i",
        "v_correlated": "SELECT id, (SELECT COUNT(*) FROM t AS b WHERE list_contains(a.xs, b.id)) AS n FROM t AS a",
        # several UNNESTs in one SELECT list are zipped: one row per position up to the longest list, NULL
        # where a list is shorter or NULL
        "v_zip": "SELECT id, UNNEST(xs) AS x, UNNEST(ws) AS w FROM t",
        "v_zip_exprs": "SELECT id, UNNEST(xs) + id AS x, UNNEST(ys) AS y, UNNEST(xs) AS again, "
                       "UNNEST(string_split(s, ',')) AS part FROM t WHERE id <> 2",
        "v_zip_named": "SELECT UNNEST(ds), UNNEST([1, 2]) FROM t",
        "v_ordinality": "SELECT id, u.x, u.i FROM t, UNNEST(xs) WITH ORDINALITY AS u(x, i) WHERE u.i <> 2",
        "v_ordinality_left": "SELECT id, w, ordinality FROM t LEFT JOIN UNNEST(ws) WITH ORDINALITY AS u(w) ON TRUE",
        "v_ordinality_by_position": "SELECT i, COUNT(*) AS n, SUM(x) AS s FROM t CROSS JOIN "
                                    "UNNEST(ys) WITH ORDINALITY AS u(x, i) GROUP BY i",
        "v_ordinality_const": "SELECT * FROM UNNEST([7, NULL, 7]) WITH ORDINALITY",
        "v_zip_grouped": "SELECT w, COUNT(*) AS n, SUM(x) AS sx FROM (SELECT UNNEST(xs) AS x, UNNEST(ws) AS w FROM t) "
                         "GROUP BY w",
    }),
}


test_lists = streams_test(SPECS, 10)


# -- DuckDB's order of lists -------------------------------------------------------------------------

def test_order_is_duckdbs():
    """ORDER BY over every pair of a set of lists (NULL elements, prefixes, NaN, nesting) equals
    DuckDB's, ascending and descending."""
    values = ["[]", "[1]", "[1, 2]", "[1, NULL]", "[2]", "[NULL]", "[NULL, 1]", "[0, 5]", "[-1]", "NULL"]
    con = duckdb.connect()
    p = Pipeline()
    p.execute("CREATE TABLE t(i INT, xs INT[]); CREATE TABLE u(i INT, ds DOUBLE[][]);")
    rows = ", ".join(f"({i}, {v})" for i, v in enumerate(values))
    con.execute(f"CREATE TABLE t(i INT, xs INT[]); INSERT INTO t VALUES {rows}")
    p.execute(f"INSERT INTO t VALUES {rows}")
    nested = ["[[1.5], NULL]", "[[1.5]]", "[['nan']]", "[[NULL]]", "[[1.5, 2.0]]", "[]", "[NULL]"]
    rows = ", ".join(f"({i}, CAST({v} AS DOUBLE[][]))" for i, v in enumerate(nested))
    con.execute(f"CREATE TABLE u(i INT, ds DOUBLE[][]); INSERT INTO u VALUES {rows}")
    p.execute(f"INSERT INTO u VALUES {rows}")
    for q in ["SELECT i FROM t ORDER BY xs, i", "SELECT i FROM t ORDER BY xs DESC, i",
              "SELECT a.i, b.i FROM t a, t b WHERE a.xs < b.xs ORDER BY 1, 2",
              "SELECT a.i, b.i FROM t a, t b WHERE a.xs <= b.xs ORDER BY 1, 2",
              "SELECT i FROM u ORDER BY ds, i", "SELECT a.i, b.i FROM u a, u b WHERE a.ds < b.ds ORDER BY 1, 2"]:
        assert p.execute(q) == con.execute(q).fetchall(), q


# -- the API, the CLI's formats and `check` ----------------------------------------------------------

def test_api_values():
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT PRIMARY KEY, xs INT[], ws VARCHAR[]); "
              "CREATE VIEW v AS SELECT id, xs, ws[1] AS w FROM t")
    p.insert("t", [(1, [1, None, 3], ["a"]), {"id": 2, "xs": (), "ws": None}, (3, "[4, 5]", "[x, 'y,z']")])
    out = p.step()["v"]
    assert [r for r, _ in out] == [(1, (1, None, 3), "a"), (2, (), None), (3, (4, 5), "x")]
    assert all(isinstance(r[1], tuple) for r, _ in out)
    p.delete("t", [(1, [1, None, 3], ["a"])])  # a Python list finds the row it names
    assert p.step()["v"] == [((1, (1, None, 3), "a"), -1)]
    with pytest.raises(DataError, match="is not a valid INTEGER"):
        p.insert("t", [(4, ["x"], None)])
        p.step()
    assert p.view("v").rows() == [(2, (), None), (3, (4, 5), "x")]


@pytest.mark.parametrize("sql, message", [
    ("SELECT LIST(id) FROM t", "without ORDER BY lists rows in the order they arrive"),
    ("SELECT ARRAY_AGG(DISTINCT id) FROM t", "without ORDER BY"),
    ("SELECT LIST(id ORDER BY xs) FROM t", "add x as the last key"),
    ("SELECT LIST(DISTINCT id ORDER BY xs, id) FROM t", "orders by keys other than x"),
    ("SELECT CAST(id AS INT[]) FROM t", r"cannot cast INTEGER to INTEGER\[\]"),
    ("SELECT xs + 1 FROM t", r"\+ of lists needs a list, not INTEGER"),
    ("SELECT xs - xs FROM t", "cannot apply - to INTEGER\\[\\] and INTEGER\\[\\]"),
    ("SELECT xs[1:2:xs] FROM t", "step needs an integer, not INTEGER\\[\\]"),
    ("SELECT [1] || ['a'] FROM t", "cannot combine"),
    ("SELECT list_sum(ws) FROM t", "needs a list of numbers"),
    ("SELECT list_distinct(xs) FROM t", "LIST_DISTINCT\\(\\) is not supported"),
])
def test_refused(sql, message):
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT, xs INT[], ws VARCHAR[])")
    with pytest.raises(CompileError, match=message):
        p.execute(f"CREATE VIEW v AS {sql}")


def test_cli_formats_and_check(tmp_path, capsys):
    from tests.test_cli import run as cli_run

    def run(argv):
        return cli_run(capsys, *argv)
    views = tmp_path / "views.sql"
    views.write_text("CREATE TABLE t(id INT, xs INT[], ws VARCHAR[]);\n"
                     "CREATE VIEW v AS SELECT id, xs, list_sort(ws) AS ws, len(xs) AS n FROM t;\n")
    (tmp_path / "a.t.csv").write_text('id,xs,ws\n1,"[1, NULL]","[b, \'a,c\']"\n2,[],\n')
    (tmp_path / "b.jsonl").write_text(json.dumps({"table": "t", "insert": {"id": 3, "xs": [7, None], "ws": ["x", None]}})
                                      + "\n")
    changes = [str(tmp_path / "a.t.csv"), str(tmp_path / "b.jsonl")]
    code, out, err = run(["run", str(views), *changes, "--format", "jsonl"])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["row"] for r in rows] == [
        {"id": 1, "xs": [1, None], "ws": ["a,c", "b"], "n": 2}, {"id": 2, "xs": [], "ws": None, "n": 0},
        {"id": 3, "xs": [7, None], "ws": ["x", None], "n": 2}]
    code, out, err = run(["run", str(views), *changes, "--format", "csv", "--view", "v"])
    assert code == 0, err
    assert "\"[1, NULL]\",\"['a,c', b]\",2" in out
    code, out, err = run(["check", str(views), *changes])
    assert code == 0, out + err


def test_values_alias_naming_some_columns():
    """VALUES (1, 2, 3) v(a): DuckDB names the other columns col1, col2; qualify expanded * to the
    named column only (found by DuckDB's test_scalar_list.test, a wrong answer before)."""
    p = Pipeline()
    sql = "SELECT * FROM (VALUES ((1), (2), 3), (4, 5, 6)) lv(a) ORDER BY a"
    assert p.execute(sql) == duckdb.sql(sql).fetchall() == [(1, 2, 3), (4, 5, 6)]
    assert p.execute("SELECT col2 FROM (VALUES (1, 2, 3)) v(a)") == [(3,)]


def test_unnest_is_a_flat_map_in_plans_and_circuits(tmp_path, capsys):
    from tests.test_cli import run as cli_run
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT, xs INT[]); CREATE VIEW v AS SELECT id, UNNEST(xs) AS x FROM t")
    text = p.explain("v")
    assert "Unnest xs#1 AS unnest" in text and "FlatMap[unnest xs#1]" in text, text
    views = tmp_path / "v.sql"
    views.write_text("CREATE TABLE t(id INT, xs INT[]);\nCREATE VIEW v AS SELECT t.id, u.x FROM t, UNNEST(t.xs) AS u(x);\n")
    code, out, err = cli_run(capsys, "compile", views, "--emit", "circuit")
    assert code == 0 and "FlatMap[unnest xs#1]" in out, out + err
    code, out, err = cli_run(capsys, "compile", views)
    assert code == 0 and "Unnest xs#1 AS x" in out, out + err


@pytest.mark.parametrize("sql, message", [
    ("SELECT COUNT(*), UNNEST(xs) FROM t", "without GROUP BY"),
    ("SELECT list_transform(xs, lambda x: x + UNNEST(xs)) FROM t", "not in a lambda"),
    ("SELECT CASE WHEN id > 0 THEN UNNEST(xs) END FROM t", "not in a lambda"),
    ("SELECT * FROM t JOIN UNNEST(xs) AS u(x) ON u.x > 1", "ON TRUE only"),
    ("SELECT * FROM t, UNNEST(xs) AS x WITH OFFSET AS o", "WITH OFFSET .positions from 0. is not supported"),
    ("SELECT * FROM t, UNNEST(id) AS u(x)", "UNNEST needs a list"),
    ("SELECT list_transform(xs, lambda x: list_transform(ws, lambda x: x)) FROM t", "hides an outer one"),
    ("SELECT list_transform(xs, lambda x, i, j: x) FROM t", "takes 1 or 2 parameters"),
    ("SELECT [i FOR x, i IN xs IF x > 1] FROM t", "Comprehension is not supported"),
    ("SELECT list_transform(xs, lambda x: (SELECT 1)) FROM t", "a subquery in a lambda"),
])
def test_unnest_refused(sql, message):
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT, xs INT[], ws VARCHAR[])")
    with pytest.raises(CompileError, match=message):
        p.execute(f"CREATE VIEW v AS {sql}")
