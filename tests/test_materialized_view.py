"""CREATE MATERIALIZED VIEW (as users paste it from Feldera, RisingWave or Materialize) is a view."""

from deltasql import Pipeline


def test_materialized_view_is_a_view():
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT)")
    p.execute("CREATE MATERIALIZED VIEW v AS SELECT a, COUNT(*) AS n FROM t GROUP BY a")
    p.insert("t", [(1,), (1,), (2,)])
    assert sorted(p.step()["v"]) == [((1, 2), 1), ((2, 1), 1)]
    p.execute("CREATE OR REPLACE MATERIALIZED VIEW v AS SELECT a + 1 AS b FROM t")
    assert p.columns("v") == ["b"] and sorted(p.view("v").rows()) == [(2,), (2,), (3,)]
    p.execute("DROP MATERIALIZED VIEW v")
    assert p.views == []
