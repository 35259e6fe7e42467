"""STRUCT values against DuckDB: columns, literals ({…}, struct_pack, row), field access, casts,
comparisons and ordering, GROUP BY / DISTINCT / JOIN / ORDER BY on structs, structs in lists and
lists in structs, under random insert/delete streams with NULL structs, NULL fields, duplicates and
a final retraction (also on 3 simulated workers)."""

import json

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.sqllib.lists import SqlList
from deltasql.sqllib.structs import struct_class
from tests.harness import Spec, seeds_test, streams_test

AB = struct_class(("a", "b"))
F = struct_class(("f",))
N = struct_class(("x", "l"))
L = SqlList
DDL = ("CREATE TABLE t(id INT, s STRUCT(a INT, b VARCHAR), u STRUCT(a INT, b VARCHAR), "
       "n STRUCT(x STRUCT(a INT, b VARCHAR), l INT[]), ss STRUCT(a INT, b VARCHAR)[], d STRUCT(f DOUBLE))")
PAIRS = [AB((1, "x")), AB((1, None)), AB((None, None)), AB((2, "a,b")), AB((1, "y")), AB((None, "x")),
         AB((-3, "")), AB((2, "it's")), AB((0, "NULL"))]
DOMAINS = {
    "id": [0, 1, 2, -1, 3, 5],
    "s": PAIRS, "u": PAIRS[1:6] + [AB((7, " q"))],
    "n": [N((AB((1, "x")), L((1, 2)))), N((None, L(()))), N((AB((None, "y")), None)), N((AB((1, "x")), L((None,)))),
          N((None, None))],
    "ss": [L((AB((1, "x")), AB((2, None)))), L(()), L((None,)), L((AB((None, None)),)), L((AB((1, "x")),)),
           L((AB((2, "b")), AB((1, "a")), None))],
    "d": [F((1.5,)), F((float("nan"),)), F((None,)), F((-0.25,)), F((2.0,))],
}


def spec(views, **kw):
    return Spec(DDL, views, domains=DOMAINS, **kw)


SPECS = {
    "values": spec({
        "v_all": "SELECT * FROM t",
        "v_fields": "SELECT id, s.a, s.b, s['a'] AS a2, struct_extract(s, 'b') AS b2, t.s.a + 1 AS a3, n.x.a AS xa, "
                    "n.x AS nx, n.l AS nl, n.l[1] AS l1, d.f AS f, (s).b AS b3 FROM t",
        "v_cmp": "SELECT s, u, s = u AS eq, s <> u AS ne, s < u AS lt, s >= u AS ge, s IS DISTINCT FROM u AS dist, "
                 "s = {'a': 1, 'b': 'x'} AS lit, s IS NULL AS isn, d < {'f': 1.0} AS dl FROM t",
        "v_where": "SELECT id, s FROM t WHERE s > {'a': 1, 'b': NULL} OR s.b = 'x'",
        "v_literals": "SELECT id, {'k': id, 'v': s.b} AS p, struct_pack(k := id, v := s) AS q, row(id, s.b) AS r, "
                      "{'l': [id, NULL], 'e': {'z': NULL}} AS nested, [s, u] AS pair, {'a': 1, 'b': 'c'} AS c, "
                      "struct_keys(s) AS k, struct_keys(n) AS nk, [(id, s.b), (1, 'x')] AS rows FROM t",
        "v_cast": "SELECT id, CAST(s AS VARCHAR) AS ts, CAST(n AS VARCHAR) AS tn, CAST(ss AS VARCHAR) AS tss, "
                  "CAST(d AS VARCHAR) AS td, CAST(s AS STRUCT(a BIGINT, b VARCHAR)) AS wide, "
                  "CAST(s AS STRUCT(b VARCHAR, c INT)) AS byname, "
                  "CAST(CAST(s AS VARCHAR) AS STRUCT(a INT, b VARCHAR)) AS back, "
                  "CAST(CAST(n AS VARCHAR) AS STRUCT(x STRUCT(a INT, b VARCHAR), l INT[])) AS nback, "
                  "CAST(row(id, s.a) AS STRUCT(p INT, q BIGINT)) AS named FROM t",
    }, dml=True),
    "relational": spec({
        "v_group": "SELECT s, COUNT(*) AS n, MIN(u) AS lo, MAX(u) AS hi, COUNT(DISTINCT n) AS nn FROM t GROUP BY s",
        "v_distinct": "SELECT DISTINCT s, n FROM t",
        "v_join": "SELECT a.id, b.id AS bid, a.s FROM t a JOIN t b ON a.s = b.u",
        "v_top": "SELECT DISTINCT s FROM t ORDER BY s DESC LIMIT 3",
        "v_minmax": "SELECT MIN(s) AS lo, MAX(s) AS hi, MIN(d) AS dlo, MAX(n) AS nhi FROM t",
        "v_union": "SELECT s FROM t UNION SELECT u FROM t",
        "v_in": "SELECT id, s FROM t WHERE s IN ({'a': 1, 'b': 'x'}, {'a': NULL, 'b': NULL})",
        "v_by_field": "SELECT s.a, COUNT(*) AS n, MAX(s.b) AS b FROM t GROUP BY s.a",
    }),
    "nested": spec({
        "v_lists": "SELECT id, ss, ss[1] AS first, ss[1].a AS fa, list_sort(ss) AS sorted, len(ss) AS n, "
                   "list_contains(ss, s) AS has, list_transform(ss, lambda e: e.b) AS bs, "
                   "list_transform(ss, lambda e: {'e': e.a, 'id': id}) AS named FROM t",
        "v_unnest": "SELECT id, UNNEST(ss) AS e FROM t",
        "v_unnest_fields": "SELECT t.id, u.e.a AS a FROM t, UNNEST(t.ss) AS u(e) WHERE u.e.b IS NOT NULL",
        "v_agg": "SELECT s.a, LIST(s ORDER BY s) AS l, LIST(DISTINCT u ORDER BY u DESC) AS du FROM t GROUP BY s.a",
        "v_over": "SELECT p, COUNT(*) AS c FROM (SELECT {'a': s.a, 'n': id % 2} AS p FROM t) GROUP BY p",
    }),
}


test_structs = streams_test(SPECS, 10)

# Sharding moves structs between workers by their stable hash (runtime/hashing.value_hash).
test_structs_on_three_workers = seeds_test(SPECS, range(3), workers=3, names=["values", "relational", "nested"])


def test_order_is_duckdbs():
    """ORDER BY and < over a set of structs (NULL fields, NaN, nesting) equal DuckDB's."""
    values = ["{'a': 1, 'b': 'x'}", "{'a': 1, 'b': NULL}", "{'a': NULL, 'b': 'a'}", "{'a': NULL, 'b': NULL}",
              "{'a': -1, 'b': 'z'}", "{'a': 1, 'b': ''}", "NULL"]
    con = duckdb.connect()
    p = Pipeline()
    rows = ", ".join(f"({i}, {v})" for i, v in enumerate(values))
    for db in (con, p):
        db.execute(f"CREATE TABLE t(i INT, s STRUCT(a INT, b VARCHAR)); INSERT INTO t VALUES {rows}")
    nested = ["{'x': {'f': 'nan'::DOUBLE}, 'l': [1]}", "{'x': {'f': 1.5}, 'l': NULL}", "{'x': NULL, 'l': []}",
              "{'x': {'f': NULL}, 'l': [NULL]}", "{'x': {'f': 1.5}, 'l': [0]}"]
    rows = ", ".join(f"({i}, {v})" for i, v in enumerate(nested))
    for db in (con, p):
        db.execute(f"CREATE TABLE u(i INT, n STRUCT(x STRUCT(f DOUBLE), l INT[])); INSERT INTO u VALUES {rows}")
    for q in ["SELECT i FROM t ORDER BY s, i", "SELECT i FROM t ORDER BY s DESC, i",
              "SELECT a.i, b.i FROM t a, t b WHERE a.s < b.s ORDER BY 1, 2",
              "SELECT a.i, b.i FROM t a, t b WHERE a.s = b.s ORDER BY 1, 2",
              "SELECT i FROM u ORDER BY n, i", "SELECT a.i, b.i FROM u a, u b WHERE a.n <= b.n ORDER BY 1, 2"]:
        assert p.execute(q) == con.execute(q).fetchall(), q


def test_api_values():
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT PRIMARY KEY, s STRUCT(a INT, b VARCHAR)); "
              "CREATE VIEW v AS SELECT id, s, s.b AS b FROM t")
    p.insert("t", [(1, {"a": 1, "b": "x"}), {"id": 2, "s": (2, None)}, (3, "{a: 4, b: 'y,z'}"), (4, None),
                   (5, {"B": "q"})])
    out = p.step()["v"]
    assert [r for r, _ in out] == [(1, AB((1, "x")), "x"), (2, AB((2, None)), None), (3, AB((4, "y,z")), "y,z"),
                                   (4, None, None), (5, AB((None, "q")), "q")]
    assert out[0][0][1].names == ("a", "b")
    p.delete("t", [(1, {"a": 1, "b": "x"})])  # a dict finds the row it names
    assert p.step()["v"] == [((1, AB((1, "x")), "x"), -1)]
    with pytest.raises(DataError, match="is not a valid STRUCT"):
        p.insert("t", [(6, {"c": 1})])
        p.step()
    with pytest.raises(DataError, match="is not a valid INTEGER"):
        p.insert("t", [(6, {"a": "x"})])
        p.step()
    assert len(p.view("v").rows()) == 4


def test_durable(tmp_path):
    path = str(tmp_path / "s.db")
    with Pipeline(path=path) as p:
        p.execute("CREATE TABLE t(id INT, s STRUCT(a INT, d DOUBLE)); "
                  "CREATE VIEW v AS SELECT s, COUNT(*) AS n FROM t GROUP BY s")
        p.insert("t", [(1, {"a": 1, "d": float("nan")}), (2, {"a": 1, "d": float("nan")}), (3, None)])
        p.step()
    with Pipeline(path=path) as p:
        p.delete("t", [(1, {"a": 1, "d": float("nan")})])
        changes = p.step()["v"]
        assert [(r[0].names, r[1], w) for r, w in changes] == [(("a", "d"), 2, -1), (("a", "d"), 1, 1)]
        assert p.view("v").rows()[0][1] == 1


@pytest.mark.parametrize("sql, message", [
    ("SELECT s.c FROM t", "has no field 'c'"),
    ("SELECT s['c'] FROM t", "has no field 'c'"),
    ("SELECT s[id] FROM t", "named by a constant string"),
    ("SELECT id.a FROM t", "cannot access field 'a' of a INTEGER"),
    ("SELECT {'a': 1, 'A': 2} FROM t", "duplicate STRUCT field name"),
    ("SELECT s = {'x': 1} FROM t", "cannot combine"),
    ("SELECT CAST(s AS STRUCT(x INT)) FROM t", "cannot cast"),
    ("SELECT CAST(s AS INT) FROM t", "cannot cast"),
    ("SELECT s || 'x' FROM t", "STRUCT"),
    ("SELECT upper(s) FROM t", "STRUCT"),
    ("SELECT struct_extract(id, 'a') FROM t", "needs a STRUCT"),
    ("SELECT list_value(a := 1) FROM t", "named argument"),
])
def test_refused(sql, message):
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT, s STRUCT(a INT, b VARCHAR))")
    with pytest.raises(CompileError, match=message):
        p.execute(f"CREATE VIEW v AS {sql}")


def test_cli_formats_and_check(tmp_path, capsys):
    from tests.test_cli import run as cli_run

    def cli(argv):
        return cli_run(capsys, *argv)
    views = tmp_path / "views.sql"
    views.write_text("CREATE TABLE t(id INT, s STRUCT(a INT, b VARCHAR), ss STRUCT(k VARCHAR)[]);\n"
                     "CREATE VIEW v AS SELECT id, s, s.a + 1 AS a1, ss FROM t;\n")
    (tmp_path / "a.t.csv").write_text('id,s,ss\n1,"{\'a\': 1, \'b\': \'x,y\'}","[{k: p}]"\n2,,\n')
    (tmp_path / "b.jsonl").write_text(json.dumps({"table": "t", "insert": {"id": 3, "s": {"a": 7, "b": None},
                                                                           "ss": [{"k": "q"}, None]}}) + "\n")
    changes = [str(tmp_path / "a.t.csv"), str(tmp_path / "b.jsonl")]
    code, out, err = cli(["run", str(views), *changes, "--format", "jsonl"])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["row"] for r in rows] == [
        {"id": 1, "s": {"a": 1, "b": "x,y"}, "a1": 2, "ss": [{"k": "p"}]},
        {"id": 2, "s": None, "a1": None, "ss": None},
        {"id": 3, "s": {"a": 7, "b": None}, "a1": 8, "ss": [{"k": "q"}, None]}]
    code, out, err = cli(["run", str(views), *changes, "--format", "csv", "--view", "v"])
    assert code == 0, err
    assert "1,\"{'a': 1, 'b': 'x,y'}\",2,[{'k': p}]" in out, out
    code, out, err = cli(["check", str(views), *changes])
    assert code == 0, out + err


def test_hash_is_stable_across_processes():
    """runtime/hashing.value_hash of structs, maps and arrays (which route rows to shard workers) is the same
    in a process with another string hash seed."""
    import os
    import subprocess
    import sys
    code = ("from deltasql.runtime.hashing import value_hash as h; from deltasql.sqllib.structs import struct_class as s; "
            "from deltasql.sqllib.maps import make_map as m; from deltasql.sqllib.lists import SqlList as L; "
            "print([h(s(('a', 'b'))((1, 'x'))), h(m([('k', s(('f',))((2.5,)))])), h(L(('a', None))), h(s(('a',))((None,)))])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "random")}
    assert len(outs) == 1, outs
