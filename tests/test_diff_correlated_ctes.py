"""A CTE that reads the enclosing query's row (a WITH inside a LATERAL subquery or an EXISTS in an ON
condition; compiler/correlated_ctes.py writes it where it is read) against DuckDB under random
streams with duplicates, NULLs and a final retraction, also on three simulated workers."""


from tests.harness import RETRACT_ALL, Spec, check_steps, seeds_test, streams_test

DDL = "CREATE TABLE l(a INT, x INT); CREATE TABLE r(b INT, y INT); CREATE TABLE s(a INT, b INT)"
VIEWS = {
    "v_lateral": "SELECT o.b, q.b AS qb FROM r AS o LEFT JOIN LATERAL "
                 "(WITH cr AS (SELECT b FROM r WHERE r.b = o.b) SELECT b FROM cr) q ON true",
    "v_lateral_join": "SELECT o.b, q.a, q.x, q.b AS qb FROM r AS o LEFT JOIN LATERAL ("
                      "WITH cr AS (SELECT b FROM r WHERE r.b = o.b) SELECT l.a, l.x, cr.b FROM l "
                      "LEFT JOIN cr ON EXISTS (SELECT 1 FROM s WHERE s.a = l.a AND s.b = cr.b)) q ON true",
    "v_exists_on": "SELECT l.a, r.b FROM l FULL OUTER JOIN r ON EXISTS ("
                   "WITH c AS (SELECT s.b FROM s WHERE s.a = l.a) SELECT 1 FROM c WHERE c.b = r.b)",
    "v_where_exists": "SELECT a, x FROM l WHERE EXISTS (WITH c (k) AS (SELECT s.b FROM s WHERE s.a = l.a) "
                      "SELECT 1 FROM c WHERE k > 1)",
}
SPEC = Spec(DDL, VIEWS, domains={"a": [1, 2, 3], "x": [10, 20], "b": [1, 2, 3], "y": [0, 1]}, null_rate=0.2)


test_correlated_ctes = streams_test(SPEC, 10)


def test_fixed_stream():
    ls = [(1, 10), (2, 20), (2, 20), (None, 10)]
    rs = [(1, 0), (2, 1), (3, None)]
    ss = [(1, 1), (2, 3), (1, 2), (2, 3)]
    first = [("+", "l", x) for x in ls] + [("+", "r", x) for x in rs] + [("+", "s", x) for x in ss]
    check_steps(SPEC, [first, [("-", "s", ss[1]), ("-", "l", ls[0])], RETRACT_ALL])


test_three_workers = seeds_test(SPEC, [1, 2], workers=3)
