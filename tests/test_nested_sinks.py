"""Lists, arrays, structs and maps through the sinks and Arrow: the DuckDB sink keeps a table equal to
the view (inserts and deletions, the small and the batched statement), the change logs (JSON lines,
CSV, Parquet) write each value as its format can read it back, and to_arrow gives Arrow's nested
types."""

import csv
import glob
import io
import json
import os

import duckdb
import pytest

from deltasql import Pipeline

DDL = ("CREATE TABLE t(id INT, s STRUCT(a INT, b VARCHAR), m MAP(INT, VARCHAR), a INT[2], "
       "ss STRUCT(x DOUBLE)[], h HUGEINT[]); CREATE VIEW v AS SELECT * FROM t")


def row(i):
    return (i, {"a": i, "b": f"x,'{i}\""}, {i: "q", i + 1: None}, [1, i], [{"x": i / 2}, None], [2 ** 100 + i])


def test_duckdb_sink_keeps_nested_values(tmp_path):
    path = str(tmp_path / "out.duckdb")
    p = Pipeline()
    p.execute(DDL)
    p.sink("v", f"duckdb:{path}")
    for batch, gone in [([row(1), row(2), (3, None, None, None, None, None)], []),
                        ([row(i) for i in range(4, 30)], [row(1)]),
                        ([], [row(i) for i in range(4, 20)])]:
        p.insert("t", batch)
        p.delete("t", gone)
        p.step()
    want = p.view("v").rows()
    p.close()
    got = duckdb.connect(path).execute("SELECT * FROM v").fetchall()

    def norm(v):
        if isinstance(v, dict) or hasattr(v, "items"):
            return tuple((k, norm(x)) for k, x in v.items())
        return tuple(norm(x) for x in v) if isinstance(v, (list, tuple)) else v
    assert sorted(map(norm, got), key=repr) == sorted(map(norm, want), key=repr)


def test_change_logs_and_arrow(tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    p = Pipeline()
    p.execute(DDL)
    p.insert("t", [row(1), (2, None, None, None, None, None)])
    p.step()
    table = p.view("v").to_arrow()
    assert [str(t) for t in table.schema.types][1:4] == [
        "struct<a: int32, b: string>", "map<int32, string>", "fixed_size_list<item: int32>[2]"]
    assert table.to_pylist()[0]["m"] == [(1, "q"), (2, None)]
    p.sink("v", f"csv:{tmp_path / 'csv'}")
    p.sink("v", f"jsonl:{tmp_path / 'v.jsonl'}")
    p.sink("v", f"parquet:{tmp_path / 'pq'}")
    p.close()
    rows = list(csv.reader(io.StringIO((tmp_path / "csv" / "v.csv").read_text())))
    assert rows[1][3:] == ["{'a': 1, 'b': 'x,\\'1\"'}", "{1=q, 2=NULL}", "[1, 1]", "[{'x': 0.5}, NULL]",
                           f"[{2 ** 100 + 1}]"]
    first = json.loads((tmp_path / "v.jsonl").read_text().splitlines()[0])["row"]
    assert first == {"id": 1, "s": {"a": 1, "b": "x,'1\""}, "m": {"1": "q", "2": None}, "a": [1, 1],
                     "ss": [{"x": 0.5}, None], "h": [2 ** 100 + 1]}
    written = pq.read_table(glob.glob(os.path.join(tmp_path, "pq", "**", "*.parquet"), recursive=True)[0]).to_pylist()
    assert {r["id"]: r["s"] for r in written} == {1: {"a": 1, "b": "x,'1\""}, 2: None}


NESTED_TEXTS = ["[TIMESTAMP '2020-01-01 12:00:00', NULL]", "[DATE '2020-01-01']", "[TIME '01:02:03']",
                "[INTERVAL 1 DAY, INTERVAL '2 hours']", "{'a': TIMESTAMP '2020-01-01 12:00:00', 'b': 1}",
                "MAP {DATE '2020-01-01': INTERVAL 3 DAY}", "MAP {'k y': TIME '10:00:00'}",
                "[['a b', 'c'], ['x,y']]", "['a', NULL, 'null', ' x']", "['a b'::BLOB, 'c,d'::BLOB]",
                "['123e4567-e89b-12d3-a456-426614174000'::UUID]", "[TIMESTAMPTZ '2020-01-01 12:00:00+00']",
                "[1.5, 2]", "[true, NULL]", "row(TIMESTAMP '2020-01-01 12:00:00', 'x y')", "['101'::BIT]"]


@pytest.mark.parametrize("expr", NESTED_TEXTS)
def test_printed_nested_values_are_duckdbs_text(expr):
    """The CLI's tables and CSV print a nested value as DuckDB's CAST(… AS VARCHAR) does: elements of every
    type but the numbers and BOOLEAN are quoted where their text needs it (a date-time's space and colons)."""
    from deltasql.connectors.formats import fmt_value

    p = Pipeline()
    p.execute(f"CREATE TABLE t(x INT); CREATE VIEW v AS SELECT {expr} AS c FROM t")
    p.insert("t", [(1,)])
    p.step()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    assert fmt_value(p.query("SELECT c FROM v").rows[0][0]) == con.execute(f"SELECT CAST({expr} AS VARCHAR)").fetchone()[0]
