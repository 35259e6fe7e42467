"""Differential tests of set operations (DISTINCT, UNION [ALL], EXCEPT [ALL], INTERSECT [ALL]) against DuckDB."""


from tests.harness import Spec, streams_test

DDL = "CREATE TABLE r(k INT, a INT, s VARCHAR); CREATE TABLE u(k INT, b INT, s VARCHAR)"
DOMAINS = {"k": [1, 2, 3, 0], "a": [1, 2, 3, 0], "b": [1, 2, 3, 0], "s": ["a", "b", ""]}


def spec(views, **kw):
    return Spec(DDL, views, **{"domains": DOMAINS, **kw})


SPECS = {
    "union": spec({
        "v_union": "SELECT k, a FROM r UNION SELECT k, b FROM u",
        "v_union_all": "SELECT k, a FROM r UNION ALL SELECT k, b FROM u",
        "v_union_const": "SELECT k, 'r' AS src FROM r UNION ALL SELECT k, 'u' FROM u UNION SELECT 9, 'z'",
        "v_union_agg": "SELECT k, COUNT(*) AS n FROM (SELECT k FROM r UNION ALL SELECT k FROM u) x GROUP BY k",
        "v_union_types": "SELECT a FROM r UNION ALL SELECT CAST(b AS DECIMAL(5,1)) FROM u",
        "v_distinct": "SELECT DISTINCT k, s FROM r",
    }),
    "by_name": spec({  # UNION [ALL] BY NAME: columns matched by name, NULL where a side has none
        "v_by_name": "SELECT k, a FROM r UNION ALL BY NAME SELECT b, K FROM u",
        "v_by_name_distinct": "SELECT s, a FROM r UNION BY NAME SELECT s, b AS a FROM u",
        "v_by_name_chain": "SELECT k FROM r UNION ALL BY NAME SELECT b FROM u UNION BY NAME SELECT s, 7 AS k FROM r",
    }),
    "except": spec({
        "v_except": "SELECT k, a FROM r EXCEPT SELECT k, b FROM u",
        "v_except_all": "SELECT k, a FROM r EXCEPT ALL SELECT k, b FROM u",
        "v_except_count": "SELECT COUNT(*) AS n FROM (SELECT k FROM r EXCEPT SELECT k FROM u) x",
        "v_except_all_count": "SELECT k, COUNT(*) AS n FROM (SELECT k FROM r EXCEPT ALL SELECT k FROM u) x GROUP BY k",
    }),
    "intersect": spec({
        "v_intersect": "SELECT k, a FROM r INTERSECT SELECT k, b FROM u",
        "v_intersect_all": "SELECT k, a FROM r INTERSECT ALL SELECT k, b FROM u",
        "v_intersect_nulls": "SELECT s FROM r INTERSECT SELECT s FROM u",
    }),
    "combined": spec({
        "v_chain": "SELECT k FROM r UNION SELECT k FROM u EXCEPT SELECT a FROM r",
        "v_paren": "(SELECT k FROM r EXCEPT ALL SELECT k FROM u) UNION ALL (SELECT a FROM r INTERSECT SELECT b FROM u)",
        "v_distinct_of_union_all": "SELECT DISTINCT k FROM (SELECT k FROM r UNION ALL SELECT k FROM u) x",
        "v_sum_of_distinct": "SELECT SUM(k) AS s, COUNT(*) AS n FROM (SELECT DISTINCT k, s FROM r) x",
        "v_setop_view": "SELECT x.k, u.b FROM (SELECT k FROM r INTERSECT ALL SELECT k FROM u) x JOIN u ON x.k = u.k",
    }),
}


test_setops = streams_test(SPECS, 12)
