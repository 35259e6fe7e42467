"""Fixed-size ARRAY values (INT[3]) and TRY_CAST of nested values against DuckDB, under random
insert/delete streams with NULL arrays, NULL elements, duplicates and a final retraction (also on 3
simulated workers): columns, array_value, casts between lists and arrays (the length checked),
comparisons, GROUP BY / DISTINCT / JOIN / ORDER BY, list functions over arrays, UNNEST; and TRY_CAST
to lists, arrays, structs and maps element by element, as DuckDB makes it."""

import duckdb
import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.sqllib.lists import SqlList
from deltasql.sqllib.maps import SqlMap
from deltasql.sqllib.structs import SqlStruct
from tests.harness import Spec, seeds_test, streams_test

L = SqlList
DDL = "CREATE TABLE t(id INT, a INT[3], b INT[3], l INT[], w VARCHAR[], p DOUBLE[2][2])"
ARRAYS = [L((1, 2, 3)), L((1, None, 3)), L((None, None, None)), L((0, 0, 0)), L((3, 2, 1)), L((1, 2, 4)), L((-5, 7, 1))]
DOMAINS = {
    "id": [0, 1, 2, -1, 3],
    "a": ARRAYS, "b": ARRAYS[2:] + [L((9, 9, 9))],
    "l": [L((1, 2, 3)), L((1, 2)), L(()), L((None, 1, 2)), L((7, 8, 9))],
    "w": [L(("1", "2", "3")), L(("x", "2")), L(("1", None, "a b")), L(()), L(("-4", "5", "6"))],
    "p": [L((L((1.5, None)), L((0.0, 2.0)))), L((None, L((1.0, 1.0)))), L((L((-1.0, 3.5)), L((float("nan"), 0.5))))],
}


def spec(views, **kw):
    return Spec(DDL, views, domains=DOMAINS, **kw)


SPECS = {
    "values": spec({
        "v_all": "SELECT * FROM t",
        "v_index": "SELECT id, a[1] AS a1, a[id] AS ai, a[2:3] AS mid, b[-1] AS last, p[1][2] AS p12, p[2] AS p2, "
                   "len(a) AS n, array_length(b) AS nb FROM t",
        "v_build": "SELECT id, array_value(id, id + 1, NULL) AS v, array_value(a, b) AS nested, "
                   "array_value(1.5, id) AS dec, [a, b] AS pair FROM t",
        "v_cast": "SELECT id, CAST(l AS INT[3]) AS la, CAST(a AS BIGINT[3]) AS wide, CAST(a AS INT[]) AS back, "
                  "CAST(a AS VARCHAR) AS txt, CAST(CAST(a AS VARCHAR) AS INT[3]) AS again, CAST(a AS DOUBLE[]) AS dbl "
                  "FROM t WHERE len(l) = 3",
        "v_cmp": "SELECT id, a = b AS eq, a < b AS lt, a >= b AS ge, a IS DISTINCT FROM b AS d, "
                 "a = [1, 2, 3] AS lit FROM t",
        "v_functions": "SELECT id, list_sort(a) AS s, list_reverse(b) AS r, list_contains(a, id) AS c, "
                       "list_sum(a) AS total, a || b AS cat, list_transform(a, lambda x: x * 2) AS tw, "
                       "list_filter(b, lambda x: x > 1) AS f FROM t",
        "v_try": "SELECT id, TRY_CAST(w AS INT[]) AS ints, TRY_CAST(w AS INT[3]) AS arr, TRY_CAST(l AS INT[3]) AS la, "
                 "TRY_CAST(w AS DOUBLE[]) AS dbl, TRY_CAST([w, ['1']] AS INT[][]) AS nested, "
                 "TRY_CAST({'x': w[1], 'y': w[2]} AS STRUCT(x INT, y INT)) AS st, "
                 "TRY_CAST(CAST(w AS VARCHAR) AS INT[]) AS txt FROM t",
        "v_steps": "SELECT id, l[1:3:2] AS a, l[:3:2] AS b, l[-1:1:-1] AS c, l[:(id):-1] AS d, a[(id):3:2] AS e, "
                   "list_slice(l, id, -1, abs(id) + 1) AS f, array_slice(a, -1, id, -1 - abs(id)) AS g, "
                   "w[2:1:-2] AS h, l[id:id:(abs(id) % 2 + 1)] AS i FROM t",
    }, dml=True),
    "relational": spec({
        "v_group": "SELECT a, COUNT(*) AS n, MIN(b) AS lo, MAX(b) AS hi FROM t GROUP BY a",
        "v_distinct": "SELECT DISTINCT a, p FROM t",
        "v_join": "SELECT x.id, y.id AS yid FROM t x JOIN t y ON x.a = y.b",
        "v_top": "SELECT DISTINCT a FROM t ORDER BY a DESC LIMIT 3",
        "v_union": "SELECT a FROM t UNION SELECT b FROM t",
        "v_unnest": "SELECT id, UNNEST(a) AS x FROM t",
        "v_agg": "SELECT id, LIST(a ORDER BY a) AS l FROM t GROUP BY id",
    }),
}


test_arrays = streams_test(SPECS, 10)
test_arrays_on_three_workers = seeds_test(SPECS, range(3), workers=3)


@pytest.mark.parametrize("sql", [
    "SELECT array_value(1, 2, 3), typeof(array_value(1, 2.5)), typeof(list_sort(array_value(3, 1)))",
    "SELECT typeof([1, 2]::INT[2]::BIGINT[2]), typeof(array_value(1, 2)[1:1]), typeof(array_value(1, 2) || [3])",
    "SELECT TRY_CAST('[NULL, [1,NULL,3], [1,2]]' AS INTEGER[3][3]), TRY_CAST(array_value(1, 2) AS INTEGER[3])",
    "SELECT TRY_CAST(MAP {'1': 'x', '2': '2'} AS MAP(INT, INT)), TRY_CAST(MAP {'1': 'x', 'a': '2'} AS MAP(INT, INT))",
    "SELECT TRY_CAST('{a: x, b: 2}' AS STRUCT(a INT, b INT)), TRY_CAST(['a', '1'] AS INT[])",
])
def test_constants_as_duckdb(sql):
    def norm(v):
        if isinstance(v, (SqlMap, SqlStruct, dict)):
            return {k: norm(x) for k, x in v.items()}
        return [norm(x) for x in v] if isinstance(v, (list, tuple)) else v
    assert norm(Pipeline().execute(sql)) == norm(duckdb.sql(sql).fetchall())


def test_length_is_checked():
    p = Pipeline()
    p.execute("CREATE TABLE t(id INT, a INT[3], l INT[]); CREATE VIEW v AS SELECT id, CAST(l AS INT[2]) AS c FROM t")
    with pytest.raises(DataError, match=r"is not a valid INTEGER\[3\]"):
        p.insert("t", [(1, [1, 2], None)])
        p.step()
    p.insert("t", [(1, "[1, 2, 3]", [4, 5])])
    assert p.step()["v"] == [((1, (4, 5)), 1)]
    p.insert("t", [(2, None, [1])])
    with pytest.raises(DataError, match="length 1 to an array of length 2"):
        p.step()
    assert p.view("v").rows() == [(1, (4, 5))]
    with pytest.raises(CompileError, match="ARRAY's size"):
        p.execute("CREATE TABLE u(a INT[-1])")
