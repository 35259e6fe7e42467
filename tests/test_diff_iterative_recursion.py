"""WITH RECURSIVE … UNION whose step reads the recursion through an aggregation, a negation or an
outer join, or more than once (compiler/iterative_recursion.py: DuckDB's working-table evaluation,
which is no least fixpoint there) against DuckDB under random edge inserts and deletes (duplicates,
NULLs, a final retraction), on one and on three simulated workers."""

import pytest
from hypothesis import given

from deltasql import CompileError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_random, check_seed, check_steps, hypothesis_settings, streams

DDL = "CREATE TABLE e(src INT, dst INT)"
DOMAINS = {"src": [0, 1, 2, 3, None], "dst": [0, 1, 2, 3, None]}

SPECS = {
    "iterative": Spec(DDL, {
        # an aggregation through the cycle: the deepest level reaching each node, level by level
        "grouped": "WITH RECURSIVE t(k, d) AS (SELECT 0, 0 UNION SELECT e.dst, MAX(t.d) + 1 FROM t JOIN e "
                   "ON t.k = e.src WHERE t.d < 4 GROUP BY e.dst) SELECT k, d FROM t",
        # a global aggregate (NULL over an empty working table ends it)
        "total": "WITH RECURSIVE t(x) AS (SELECT 1 UNION SELECT SUM(t.x) + COUNT(e.src) FROM t, e WHERE t.x < 40) "
                 "SELECT x FROM t",
        # a negation of the working table
        "negation": "WITH RECURSIVE t(k, d) AS (SELECT 0, 0 UNION SELECT e.dst, t.d + 1 FROM t JOIN e ON t.k = e.src "
                    "WHERE t.d < 4 AND NOT EXISTS (SELECT 1 FROM t t2 WHERE t2.k = e.dst)) SELECT k, d FROM t",
        # non-linear: walks joined to walks of the last iteration (DuckDB skips lengths the closure has)
        "nonlinear": "WITH RECURSIVE t(a, b, n) AS (SELECT src, dst, 1 FROM e UNION SELECT x.a, y.b, x.n + y.n "
                     "FROM t x JOIN t y ON x.b = y.a WHERE x.n + y.n <= 4) SELECT a, b, n FROM t",
        "outer_join": "WITH RECURSIVE t(k, d) AS (SELECT 0, 0 UNION SELECT COALESCE(e.dst, t.k + 10), t.d + 1 FROM t "
                 "LEFT JOIN e ON t.k = e.src WHERE t.d < 3) SELECT k, d FROM t",
    }, domains=DOMAINS),
}


@pytest.mark.parametrize("name", list(SPECS["iterative"].views))
@hypothesis_settings(default=8)
@given(rnd=streams())
def test_iterative_recursion(name, rnd):
    s = SPECS["iterative"]
    check_random(Spec(s.ddl, {name: s.views[name]}, domains=s.domains), rnd)


def test_iterative_recursion_on_three_workers():
    for seed in range(2):
        check_seed(SPECS["iterative"], seed, workers=3, backend="simulated")


def test_path_and_retraction():
    check_steps(SPECS["iterative"], [
        [("+", "e", (0, 1)), ("+", "e", (1, 2)), ("+", "e", (2, 3)), ("+", "e", (3, 0))],
        [("-", "e", (1, 2)), ("+", "e", (1, None))],
        [("+", "e", (1, 2)), ("+", "e", (1, 2))],
        RETRACT_ALL,
    ])


def test_nonlinear_is_duckdbs_not_the_closure():
    """Over the path 1→2→3→4→5, t ⋈ t of the working table finds lengths 1, 2 and 4 (8 rows), not 3."""
    p = Pipeline(dialect="duckdb")
    p.execute("CREATE TABLE e(a INT, b INT)")
    p.execute("CREATE VIEW v AS WITH RECURSIVE t(a, b) AS (SELECT a, b FROM e UNION SELECT x.a, y.b FROM t x "
              "JOIN t y ON x.b = y.a) SELECT a, b FROM t")
    p.insert("e", [(1, 2), (2, 3), (3, 4), (4, 5)])
    p.step()
    assert sorted(p.view("v").rows()) == [(1, 2), (1, 3), (1, 5), (2, 3), (2, 4), (3, 4), (3, 5), (4, 5)]
    assert "recomputed whole when an input changes" in p.explain("v")


def test_union_all_stays_refused():
    p = Pipeline(dialect="duckdb")
    p.execute(DDL)
    with pytest.raises(CompileError, match="not stratifiable: the cycle t -> t goes through an aggregation"):
        p.execute("CREATE VIEW v AS WITH RECURSIVE t(x) AS (SELECT 1 UNION ALL SELECT SUM(x) FROM t WHERE x < 3) "
                  "SELECT x FROM t")
