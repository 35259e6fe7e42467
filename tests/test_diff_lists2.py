"""More list functions against DuckDB (issue 19, lists2-19): list_zip, under random insert/delete
streams with NULL lists, NULL elements, empty lists, duplicates and a final retraction; and the
errors and refusals of the same functions."""

import datetime
from decimal import Decimal as D

import pytest

from deltasql import CompileError, DataError, Pipeline
from deltasql.sqllib.lists import SqlList
from deltasql.sqllib.real import f32
from tests.harness import Spec, streams_test

L = SqlList
DDL = ("CREATE TABLE t(id INT, xs INT[], ys INT[], ws VARCHAR[], b BOOLEAN, ds DOUBLE[], s VARCHAR, "
       "ms DECIMAL(6,2)[])")
INT_LISTS = [L((1, 2)), L((1, None)), L(()), L((None,)), L((2,)), L((3, 1, 3)), L((1, 2, None)), L((-1, 5, 0)),
             L((2, 2, 1, 4))]
DOMAINS = {
    "id": [0, 1, 2, -1, 3],
    "xs": INT_LISTS, "ys": INT_LISTS[2:] + [L((1, 2, 3, 4))],
    "ws": [L(("a", "b")), L(("a,b", None)), L(("",)), L(()), L(("x y",)), L(("b", "a", "b"))],
    "b": [True, False],
    "s": ["rundate_2023-01-01_pass_1", "rundate_2023-01-10_pass_2", "invalid", "", "a1 b2 c", "Peter:33 Paul:14",
          "hi", "щцф aa", "ab aab b"],
    "ms": [L((D("1.50"), D("2.25"), D("4.00"), D("10.10"))), L((D("-3.33"), None)), L(()), L((None,)),
           L((D("127.00"), D("-128.00"))), L((D("0.01"), D("0.02"), D("0.02")))],
    "ds": [L((1.5, None)), L((float("nan"), 1.0)), L(()), L((0.1, -2.0)), L((2.0,)), L((1.0, 2.0, 3.0))],
}


def spec(views, **kw):
    return Spec(DDL, views, domains=DOMAINS, **kw)


SPECS = {
    "zip": spec({
        "v_zip": "SELECT id, list_zip(xs, ys) AS z, list_zip(xs, ws, ds) AS z3, list_zip(xs) AS z1, "
                 "list_zip(xs, ys, true) AS t, list_zip(xs, ws, b) AS zb, array_zip(ys, NULL) AS zn FROM t",
        "v_use": "SELECT id, list_zip(xs, ys)[1] AS first, len(list_zip(ws, xs, b)) AS n, "
                 "list_transform(list_zip(xs, ys), lambda p: p[1]) AS firsts FROM t",
        "v_group": "SELECT list_zip(xs, ws) AS z, COUNT(*) AS n FROM t GROUP BY list_zip(xs, ws)",
        "v_unnest": "SELECT id, UNNEST(list_zip(xs, ys, b)) AS pair FROM t",
        "v_text": "SELECT id, CAST(list_zip(xs) AS VARCHAR) AS one, CAST(list_zip(xs, ws) AS VARCHAR) AS two, "
                  "CAST(row(id) AS VARCHAR) AS r, CAST(CAST(list_zip(ws) AS VARCHAR) AS STRUCT(a VARCHAR)[]) AS back FROM t",
    }),
    "aggregates": spec({
        "v_mad": "SELECT id, list_mad(xs) AS a, list_mad(ds) AS b, list_mad(ms) AS c, list_aggr(ys, 'mad') AS d, "
                 "list_mad([id, 2 * id, 7]) AS e FROM t",
        "v_hist": "SELECT id, list_histogram(xs) AS a, list_histogram(ws) AS b, list_histogram(ds) AS c, "
                  "list_aggregate(ms, 'histogram') AS d FROM t",
        "v_group": "SELECT list_histogram(xs) AS h, COUNT(*) AS n, SUM(list_mad(ys)) AS s FROM t GROUP BY 1",
    }),
    "comprehensions": spec({
        "v_nested": "SELECT id, [x * 2 FOR x IN [y FOR y IN xs IF y IS NOT NULL] IF x > 1] AS a, "
                    "[[x + y FOR y IN ys] FOR x IN xs] AS b, [w FOR w, i IN ws IF i <> 2] AS c, "
                    "[x + id FOR x, i IN xs IF i % 2 = 1 AND x > 0] AS d FROM t",
    }),
    "pops": spec({
        "v_pops": "SELECT id, array_pop_back(xs) AS b, array_pop_front(ws) AS f, xs <@ ys AS cb, ys @> xs AS c, "
                  "array_pop_back(array_pop_front(ys)) AS both_ends FROM t",
    }),
    "concat": spec({
        "v_plus": "SELECT id, xs + ys AS a, xs + NULL AS b, NULL + ws AS c, ds + [id] AS d, xs + [1.5] AS e, "
                  "list_pack(id, id + 1) AS p, list_pack(s) AS q FROM t",
    }),
    "regex_groups": spec({
        "v_extract": r"SELECT s, regexp_extract(s, 'rundate_(\d+-\d+-\d+)_pass_(\d+)', ['rundate', 'pass']) AS g, "
                     r"regexp_extract(s, '(\w)(\d)?', ['l', 'd']) AS o, regexp_extract(s, '(A)(x)?', ['a', 'b'], 'i') AS ci "
                     "FROM t",
        "v_fields": r"SELECT g.rundate AS rundate, g.pass AS pass, COUNT(*) AS n FROM (SELECT regexp_extract(s, "
                    r"'rundate_(\d+-\d+-\d+)_pass_(\d+)', ['rundate', 'pass']) AS g FROM t) WHERE LENGTH(g.rundate) > 0 "
                    "GROUP BY ALL",
        "v_all": r"SELECT s, regexp_extract_all(s, '(\w+):(\d+)', ['name', 'num']) AS a, "
                 r"regexp_extract_all(s, '(h|i)?', ['ch']) AS e, regexp_extract_all(s, '(a*)(b)', ['as', 'b']) AS m, "
                 r"regexp_extract_all(s, '(\w)(\d)?', ['c', 'd']) AS o, regexp_extract_all(s, '(A)', ['x'], 'i') AS ci FROM t",
        "v_groups_any": r"SELECT s, regexp_extract_all(s, '(\w)(\d)', -1) AS neg, regexp_extract_all(s, '(\w)(\d)', 2) AS g2, "
                        "s ILIKE 'A%' ESCAPE NULL AS en, s NOT LIKE '%b%' ESCAPE NULL AS nen FROM t",
        "v_split": r"SELECT s, string_split_regex(s, '[_:]') AS a, regexp_split_to_array(s, '\d*') AS b, "
                   "str_split_regex(s, 'A', 'i') AS c, string_split_regex(s, '') AS d, string_split_regex(s, '\b') AS e, "
                   "string_split_regex(s, 'b?') AS f FROM t",
        "v_split_table": "SELECT id, regexp_split_to_table(s, '[ _]') AS piece FROM t",
        "v_subscripts": "SELECT id, generate_subscripts(xs, 1) AS i FROM t",
        "v_quantified": "SELECT s, s ~ ANY(['b', 'z']) AS a, s ~* ANY(['Z', 'B', NULL]) AS b, s !~ ALL(['x', 'a']) AS c, "
                        "s !~* ANY(['A', 'q']) AS d, s ~ ALL(['a', '.']) AS e, s ~ ANY([]::VARCHAR[]) AS f, "
                        "NOT (s ~ ALL(['a', NULL])) AS g FROM t WHERE s ~ ANY(['a', 'i', 'щ'])",
    }),
}


# lists as vectors: every list of a column has 3 elements and none is NULL (else DuckDB errs for the
# whole chunk, as deltasql does for the step); "vectors_errors" mixes in lengths and NULL elements
TEXT_SPEC = Spec("CREATE TABLE n(id INT, ts TIMESTAMP, d DATE, s VARCHAR)", {
    "v_nested_text": "SELECT id, CAST([ts] AS VARCHAR) AS a, CAST(row(ts, d) AS VARCHAR) AS b, "
                     "CAST({'k': ts, 's': s} AS VARCHAR) AS c, CAST(map([ts], [s]) AS VARCHAR) AS m, "
                     "CAST([d, d] AS VARCHAR) AS e FROM n WHERE ts IS NOT NULL",
}, domains={"id": [0, 1], "ts": [datetime.datetime(2021, 8, 20), datetime.datetime(2020, 1, 1, 10, 30, 5)],
            "d": [datetime.date(2021, 8, 20)], "s": ["a:b", "x y", ""]})
VDDL = "CREATE TABLE v(id INT, fa FLOAT[], fb FLOAT[], da DOUBLE[], db DOUBLE[], ia INT[])"
VDOMAINS = {
    "id": [0, 1, 2],
    "fa": [L(map(f32, xs)) for xs in ((1.0, 2.0, 3.0), (0.5, -0.25, 1e-20), (0.0, 0.0, 0.0), (3e38, 3e38, 1.0),
                                      (-1.5, 2.5, 7.0))],
    "fb": [L(map(f32, xs)) for xs in ((4.0, 5.0, 6.0), (1e-30, 1e-30, 0.0), (-1.0, -2.0, -3.0), (0.1, 0.2, 0.3))],
    "da": [L((1.0, 2.0, 3.0)), L((0.1, 0.7, -0.3)), L((0.0, 0.0, 0.0)), L((1e200, 1e200, 1.0)), L((1e-200, 2e-200, 0.0)),
           L((float("nan"), 1.0, 2.0))],
    "db": [L((4.0, 5.0, 6.0)), L((1e200, 1.0, -1e200)), L((-0.3, 0.2, 0.9)), L((float("inf"), 0.0, 1.0))],
    "ia": [L((1, 2, 3)), L((0, 0, 0)), L((-5, 7, 100))],
}
VSPECS = {
    "vectors": Spec(VDDL, {
        "v_float": "SELECT id, list_inner_product(fa, fb) AS ip, list_negative_inner_product(fa, ia) AS nip, "
                   "list_distance(fa, fb) AS d, list_cosine_similarity(fa, fb) AS cs, list_cosine_distance(fb, ia) AS cd "
                   "FROM v",
        "v_double": "SELECT id, list_dot_product(da, db) AS ip, list_negative_dot_product(ia, db) AS nip, "
                    "list_distance(da, ia) AS d, list_cosine_similarity(da, db) AS cs, list_cosine_distance(da, fa) AS cd "
                    "FROM v",
        "v_where": "SELECT id, da FROM v WHERE list_cosine_similarity(da, [1, 2, 3]) > 0.5",
    }, domains=VDOMAINS),
    "vectors_errors": Spec("CREATE TABLE v(id INT, xs INT[], ys INT[])", {
        "v_ip": "SELECT id, list_inner_product(xs, ys) AS ip, list_distance(ys, xs) AS d FROM v",
    }, domains={"id": [0, 1], "xs": [L((1, 2)), L((3, 4)), L((1, None))], "ys": [L((5, 6)), L((1,)), L((0, 1))]}),
}
SPECS.update(VSPECS)
SPECS["nested_text"] = TEXT_SPEC


test_lists2 = streams_test(SPECS, 10)


@pytest.mark.parametrize("sql, message", [
    ("SELECT list_zip(id) FROM t", "LIST_ZIP needs a list, not INTEGER"),
    ("SELECT list_zip(b) FROM t", "LIST_ZIP needs a list, not BOOLEAN"),
    ("SELECT list_zip(xs, true, b) FROM t", "LIST_ZIP needs a list, not BOOLEAN"),
    ("SELECT list_zip(xs, 'a') FROM t", "LIST_ZIP needs a list, not VARCHAR"),
    ("SELECT list_zip() FROM t", r"LIST_ZIP\(\)"),
    ("SELECT list_mad(ws) FROM t", r"LIST_MAD needs a list of numbers, not VARCHAR\[\]"),
    ("SELECT list_mad(CAST(ds AS FLOAT[])) FROM t", "LIST_MAD of a FLOAT"),
    ("SELECT list_mad(xs, ys) FROM t", "LIST_MAD takes one list"),
    ("SELECT s ~ ANY(ws) FROM t", "needs a constant list of patterns"),
    ("SELECT s ~ ANY(['[']) FROM t", "invalid regular expression"),
    ("SELECT list_intersect(xs, ys) FROM t", "order of its hash table"),
    ("SELECT xs <@ ws FROM t", "cannot combine"),
    ("SELECT list_inner_product(ws, xs) FROM t", "needs lists of numbers"),
    ("SELECT list_inner_product(xs) FROM t", "LIST_INNER_PRODUCT"),
    ("SELECT list_histogram(id) FROM t", "LIST_HISTOGRAM needs a list, not INTEGER"),
    ("SELECT xs + ws FROM t", "cannot combine"),
    ("SELECT regexp_extract(s, '(a)(b)', []) FROM t", "the group name list must be non-empty"),
    ("SELECT regexp_extract(s, s, ['a']) FROM t", "needs a constant pattern"),
    ("SELECT regexp_extract(s, NULL, ['a']) FROM t", "needs a constant pattern"),
    ("SELECT regexp_extract_all(s, '(a)(b)', ['a', NULL]) FROM t", "a NULL or non-VARCHAR group name"),
    ("SELECT regexp_extract(s, '(a)(b)', ['a', 'A']) FROM t", "duplicate group name"),
    ("SELECT regexp_extract(s, '(a)(b)', ['a', '']) FROM t", "an empty group name"),
    ("SELECT regexp_extract_all(s, '(a)(b)', ['a', 'b', 'c']) FROM t", "not enough capturing groups"),
    ("SELECT regexp_extract(s, '(a)(b)', ws) FROM t", "the group names must be a constant"),
    ("SELECT regexp_extract(s, '(a)', ['a'], NULL) FROM t", "the options must not be NULL"),
])
def test_refused(sql, message):
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError, match=message):
        p.execute(f"CREATE VIEW v AS {sql}")


def test_group_past_the_patterns_is_an_error_on_a_match():
    """REGEXP_EXTRACT_ALL with a constant group the pattern does not have: [] without a match, an error
    (DataError, the step changes nothing) with one, as DuckDB."""
    p = Pipeline()
    p.execute("CREATE TABLE t(s VARCHAR); CREATE VIEW v AS SELECT regexp_extract_all(s, '[a-z]', 5) AS g FROM t")
    p.insert("t", [("123",)])
    assert p.step()["v"] == [((L(()),), 1)]
    p.insert("t", [("abc",)])
    with pytest.raises(DataError, match="the pattern has 0 groups, not 5"):
        p.step()
    assert p.view("v").rows() == [(L(()),)]


def test_list_text_with_quoted_brackets_in_its_elements():
    """A list's text whose nested elements hold quoted text with brackets in it (a struct of a BLOB printed
    by DuckDB: [('{a: 1',)]) reads back element by element (it was one element, then an error)."""
    import duckdb
    sql = "SELECT CAST(CAST(list_zip(['{a: 1', 'b]']) AS VARCHAR) AS STRUCT(a VARCHAR)[]) AS b"
    p = Pipeline()
    ours = [dict(s.items()) for s in p.execute(sql)[0][0]]
    assert ours == duckdb.sql(sql).fetchall()[0][0] == [{"a": "{a: 1"}, {"a": "b]"}]
