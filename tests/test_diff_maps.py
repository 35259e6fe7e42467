"""MAP values against DuckDB: columns, MAP {…} / map(keys, values) / map_from_entries, m[k],
map_extract / element_at, map_keys / map_values / map_entries, cardinality, map_contains, map_concat,
casts, comparisons and ordering, GROUP BY / DISTINCT / JOIN on maps, HISTOGRAM, under random insert/delete
streams with NULL maps, NULL values, empty maps, duplicates and a final retraction (also on 3
simulated workers)."""

import json

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.sqllib.lists import SqlList
from deltasql.sqllib.maps import make_map
from tests.harness import Spec, seeds_test, streams_test

L = SqlList
DDL = "CREATE TABLE t(id INT, k INT, m MAP(INT, VARCHAR), n MAP(INT, VARCHAR), w MAP(VARCHAR, DOUBLE), ks INT[], vs VARCHAR[])"
INT_MAPS = [make_map([(1, "a")]), make_map([(1, "a"), (2, None)]), make_map([]), make_map([(2, None), (1, "a")]),
            make_map([(3, "a,b")]), make_map([(1, "b")]), make_map([(-1, ""), (0, "NULL")]), make_map([(2, "x y")])]
DOMAINS = {
    "id": [0, 1, 2, -1, 3],
    "k": [1, 2, 3, 0, -1],
    "m": INT_MAPS, "n": INT_MAPS[2:] + [make_map([(5, "q")])],
    "w": [make_map([("a", 1.5)]), make_map([("a", float("nan")), ("b", None)]), make_map([]),
          make_map([("it's", -0.5)]), make_map([("b", 2.0), ("a", 1.5)])],
    "ks": [L((1, 2)), L((3,)), L(()), L((2, 1))],
    "vs": [L(("a", None)), L(("x",)), L(()), L(("b", "c"))],
}


def spec(views, **kw):
    return Spec(DDL, views, domains=DOMAINS, **kw)


SPECS = {
    "values": spec({
        "v_all": "SELECT * FROM t",
        "v_lookup": "SELECT id, k, m[k] AS mk, m[1] AS m1, element_at(m, k) AS e, map_extract(n, 2) AS x, "
                    "map_extract_value(m, k) AS ev, w['a'] AS wa, map_contains(m, k) AS c, cardinality(m) AS card FROM t",
        "v_parts": "SELECT id, map_keys(m) AS ks, map_values(m) AS vals, map_entries(w) AS es, "
                   "map_keys(n)[1] AS first_key FROM t",
        "v_build": "SELECT id, MAP {k: id} AS lit, MAP {'x': k, 'y': NULL} AS lit2, map([k, k + 10], ['a', NULL]) AS ml, "
                   "map_from_entries([(k, id), (k + 1, NULL)]) AS fe, map() AS empty, "
                   "map_concat(m, n) AS cat, map_from_entries(map_entries(m)) AS back FROM t WHERE k IS NOT NULL",
        "v_lists": "SELECT id, map(ks, vs) AS ml FROM t WHERE len(ks) = len(vs) AND ks <> [2, 1]",
        "v_cast": "SELECT id, CAST(m AS VARCHAR) AS tm, CAST(w AS VARCHAR) AS tw, CAST(m AS MAP(BIGINT, VARCHAR)) AS wide, "
                  "CAST(CAST(m AS VARCHAR) AS MAP(INT, VARCHAR)) AS back, CAST(n AS MAP(VARCHAR, VARCHAR)) AS texts FROM t",
    }, dml=True),
    "relational": spec({
        "v_cmp": "SELECT m, n, m = n AS eq, m <> n AS ne, m < n AS lt, m >= n AS ge, m IS DISTINCT FROM n AS d, "
                 "m = MAP {1: 'a'} AS lit FROM t",
        "v_group": "SELECT m, COUNT(*) AS c, MIN(n) AS lo, MAX(w) AS hi FROM t GROUP BY m",
        "v_distinct": "SELECT DISTINCT m, w FROM t",
        "v_join": "SELECT a.id, b.id AS bid, a.m FROM t a JOIN t b ON a.m = b.n",
        "v_top": "SELECT DISTINCT m FROM t ORDER BY m DESC LIMIT 3",
        "v_union": "SELECT m FROM t UNION SELECT n FROM t",
        "v_unnest": "SELECT id, UNNEST(map_keys(m)) AS key FROM t",
        "v_agg": "SELECT k, LIST(m ORDER BY m) AS ms FROM t GROUP BY k",
        "v_histogram": "SELECT k, histogram(id) AS h, histogram(m) AS hm, histogram(w['a']) AS hw FROM t GROUP BY k",
        "v_histogram_all": "SELECT histogram(k) AS h, histogram(CAST(k AS VARCHAR)) FILTER (WHERE id > 0) AS ht FROM t",
    }),
}


test_maps = streams_test(SPECS, 10)
test_maps_on_three_workers = seeds_test(SPECS, range(3), workers=3)


def test_order_is_duckdbs():
    values = ["MAP {1: 'a'}", "MAP {1: 'a', 2: NULL}", "MAP {}", "MAP {2: NULL, 1: 'a'}", "MAP {1: NULL}",
              "MAP {0: 'z'}", "NULL", "MAP {1: 'a', 0: 'b'}"]
    con = duckdb.connect()
    p = Pipeline()
    rows = ", ".join(f"({i}, {v})" for i, v in enumerate(values))
    for db in (con, p):
        db.execute(f"CREATE TABLE t(i INT, m MAP(INT, VARCHAR)); INSERT INTO t VALUES {rows}")
    for q in ["SELECT i FROM t ORDER BY m, i", "SELECT i FROM t ORDER BY m DESC, i",
              "SELECT a.i, b.i FROM t a, t b WHERE a.m < b.m ORDER BY 1, 2",
              "SELECT a.i, b.i FROM t a, t b WHERE a.m = b.m ORDER BY 1, 2"]:
        assert p.execute(q) == con.execute(q).fetchall(), q


def test_bad_maps_fail_the_step_as_duckdb_fails():
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT, v INT); CREATE VIEW v AS SELECT MAP {k: v, 1: 0} AS m FROM t")
    p.insert("t", [(2, 3)])
    assert p.step()["v"] == [((make_map([(2, 3), (1, 0)]),), 1)]
    for bad in [(1, 1), (None, 1)]:
        p.insert("t", [bad])
        with pytest.raises(DataError, match="map keys"):
            p.step()
    assert p.view("v").rows() == [(make_map([(2, 3), (1, 0)]),)]
    with pytest.raises(CompileError, match="map keys must be unique"):
        p.execute("CREATE VIEW w AS SELECT MAP {1: 2, 1: 3} AS m")


def test_api_and_durable(tmp_path):
    path = str(tmp_path / "m.db")
    with Pipeline(path=path) as p:
        p.execute("CREATE TABLE t(id INT, m MAP(VARCHAR, DOUBLE)); CREATE VIEW v AS SELECT m, COUNT(*) AS c FROM t GROUP BY m")
        p.insert("t", [(1, {"a": float("nan")}), (2, [("a", float("nan"))]), (3, "{a=nan}"), (4, None)])
        out = p.step()["v"]
        assert sorted(w for _, w in out) == [1, 1] and any(r[1] == 3 for r, _ in out)
    with Pipeline(path=path) as p:
        p.delete("t", [(1, {"a": float("nan")})])
        assert [(r[1], w) for r, w in p.step()["v"]] == [(3, -1), (2, 1)]
        with pytest.raises(DataError, match="is not a valid DOUBLE"):
            p.insert("t", [(5, {"a": "x"})])
            p.step()
        with pytest.raises(DataError, match="is not a valid MAP"):
            p.insert("t", [(5, 7)])
            p.step()


@pytest.mark.parametrize("sql, message", [
    ("SELECT m[[1]] FROM t", "cannot look up"),
    ("SELECT map_keys(k) FROM t", "needs a MAP"),
    ("SELECT m = MAP {'a': 1} FROM t", "cannot combine"),
    ("SELECT CAST(m AS INT) FROM t", "cannot cast"),
    ("SELECT map_from_entries([1, 2]) FROM t", "needs a list of"),
    ("SELECT m[1:2] FROM t", "one key"),
])
def test_refused(sql, message):
    p = Pipeline()
    p.execute("CREATE TABLE t(k INT, m MAP(INT, VARCHAR))")
    with pytest.raises(CompileError, match=message):
        p.execute(f"CREATE VIEW v AS {sql}")


def test_cli_formats_and_check(tmp_path, capsys):
    from tests.test_cli import run as cli_run

    def cli(argv):
        return cli_run(capsys, *argv)
    views = tmp_path / "views.sql"
    views.write_text("CREATE TABLE t(id INT, m MAP(INT, VARCHAR));\n"
                     "CREATE VIEW v AS SELECT id, m, m[1] AS m1 FROM t;\n")
    (tmp_path / "a.t.csv").write_text('id,m\n1,"{1=a, 2=\'x,y\'}"\n2,\n')
    (tmp_path / "b.jsonl").write_text(json.dumps({"table": "t", "insert": {"id": 3, "m": {"1": None, "7": "q"}}}) + "\n")
    changes = [str(tmp_path / "a.t.csv"), str(tmp_path / "b.jsonl")]
    code, out, err = cli(["run", str(views), *changes, "--format", "jsonl"])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["row"] for r in rows] == [
        {"id": 1, "m": {"1": "a", "2": "x,y"}, "m1": "a"}, {"id": 2, "m": None, "m1": None},
        {"id": 3, "m": {"1": None, "7": "q"}, "m1": None}]
    code, out, err = cli(["run", str(views), *changes, "--format", "csv", "--view", "v"])
    assert code == 0, err
    assert "1,\"{1=a, 2='x,y'}\",a" in out, out
    code, out, err = cli(["check", str(views), *changes])
    assert code == 0, out + err
