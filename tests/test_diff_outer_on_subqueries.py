"""Outer joins whose ON condition holds a subquery (compiler/outer_pairs.py), and parenthesized joins as
FROM items, differentially against DuckDB under random streams: EXISTS, IN and scalar subqueries,
correlated with either side or both, in LEFT, RIGHT and FULL joins, with duplicates, NULLs and a
final retraction."""

import pytest

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, streams_test

DDL = ("CREATE TABLE r(k INT, a INT); CREATE TABLE u(k INT, b INT); CREATE TABLE w(k INT, c INT)")
DOMAINS = {"k": [1, 2, 3, 0], "a": [1, 2, 3, -1], "b": [1, 2, 3, 0], "c": [1, 2, 3]}


def spec(views):
    return Spec(DDL, views, domains=DOMAINS, null_rate=0.2)


SPECS = {
    "exists": spec({
        "v_left": "SELECT r.k, r.a, u.b FROM r LEFT JOIN u ON r.k = u.k AND EXISTS (SELECT 1 FROM w WHERE w.c = u.b)",
        "v_full": "SELECT r.a, u.b FROM r FULL JOIN u ON EXISTS (SELECT 1 FROM w WHERE w.k = r.k AND w.c = u.b)",
        "v_right_not": "SELECT r.k, u.k AS uk FROM r RIGHT JOIN u ON r.k = u.k AND NOT EXISTS "
                       "(SELECT 1 FROM w WHERE w.c = r.a)",
    }),
    "in_scalar": spec({
        "v_in": "SELECT r.k, u.b FROM r LEFT JOIN u ON u.b IN (SELECT c FROM w WHERE w.k = r.k)",
        "v_scalar": "SELECT r.a, u.b FROM r FULL JOIN u ON u.b > (SELECT MIN(c) FROM w WHERE w.k = r.k)",
        "v_uncorrelated": "SELECT r.k, u.k AS uk FROM r RIGHT JOIN u ON r.k = u.k AND u.b IN (SELECT c FROM w)",
        "v_agg": "SELECT r.k, COUNT(u.b) AS n FROM r LEFT JOIN u ON u.k = r.k AND r.a < (SELECT COUNT(*) FROM w) "
                 "GROUP BY r.k",
    }),
    "parenthesized": spec({  # FROM (a JOIN b ON …): a join as a FROM item (constructs: Table.joins)
        "v_nested": "SELECT r.k, u.b, w.c FROM r LEFT JOIN (u JOIN w ON u.b = w.c) ON r.k = u.k",
        "v_nested_exists": "SELECT r.a, u.b, w.c FROM r FULL JOIN (u JOIN w ON w.k = u.k) ON EXISTS "
                           "(SELECT 1 FROM w x WHERE x.c = r.a AND x.k = u.b)",
        "v_two": "SELECT * FROM (r JOIN u ON r.k = u.k) JOIN (w CROSS JOIN (SELECT 1 AS one) o) ON w.k = r.k",
    }),
}


test_outer_join_on_subquery = streams_test(SPECS, 12)


def test_fixed_stream():
    s = SPECS["exists"]
    check_steps(s, [[("+", "r", (1, 1)), ("+", "r", (1, 1)), ("+", "r", (None, 2)), ("+", "u", (1, 3)),
                     ("+", "u", (2, None)), ("+", "w", (1, 3))],
                    [("-", "w", (1, 3))], [("+", "w", (1, 3)), ("-", "r", (1, 1))], RETRACT_ALL])


def test_correlated_right_join_refused():
    p = Pipeline()
    p.execute(DDL)
    with pytest.raises(CompileError, match="subqueries in the ON condition of a FULL JOIN inside a correlated"):
        p.execute("CREATE VIEW v AS SELECT (SELECT COUNT(*) FROM r FULL JOIN u ON EXISTS "
                  "(SELECT 1 FROM w WHERE w.c = u.b) AND r.k = x.k) AS n FROM w x")
