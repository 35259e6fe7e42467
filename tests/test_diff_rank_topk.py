"""Rank filters run as a top-k per partition (compiler/passes/rank_topk.py): differential tests of the
forms it rewrites (ROW_NUMBER/RANK/DENSE_RANK bounded by <=, <, =, either side, in WHERE over a
subquery or in QUALIFY, with ties, NULLs, NaN-free floats, duplicate rows and several rank calls in one
window) and of those it must leave alone, against DuckDB under random change streams; and the plans."""

import pytest

from deltasql import Pipeline
from tests.harness import Spec, streams_test

DDL = "CREATE TABLE t(id INT NOT NULL, g INT, x INT, s VARCHAR)"
DOMAINS = {"id": list(range(12)), "g": [1, 2, 3], "x": [1, 2, 3, 0, -1, 5]}

KEYED = {  # id unique: ROW_NUMBER's order is total
    "rn_lt": "SELECT id, g, x, rn FROM (SELECT id, g, x, ROW_NUMBER() OVER (PARTITION BY g ORDER BY x DESC, id) AS rn "
             "FROM t) q WHERE rn < 3",
    "rn_flipped": "SELECT id, x FROM (SELECT id, x, ROW_NUMBER() OVER (ORDER BY x NULLS FIRST, id DESC) AS rn FROM t) q "
                  "WHERE 4 >= rn AND x IS NOT NULL",
    "rn_eq": "SELECT id, g FROM (SELECT id, g, ROW_NUMBER() OVER (PARTITION BY g ORDER BY id) AS rn FROM t) q WHERE rn = 2",
    "rn_and_rank": "SELECT id, rn, rk, dr FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY x, id) AS rn, "
                   "RANK() OVER (ORDER BY x, id) AS rk, DENSE_RANK() OVER (ORDER BY x, id) AS dr FROM t) q WHERE rk <= 3",
    "qualify_rn": "SELECT id, g, x FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY g ORDER BY x DESC NULLS LAST, id) <= 1",
    "rn_zero": "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM t) q WHERE rn <= 0",
    "with_lag": "SELECT id, lg FROM (SELECT id, LAG(x) OVER (ORDER BY id) AS lg, ROW_NUMBER() OVER (ORDER BY id) AS rn "
                "FROM t) q WHERE rn <= 3",
}
DUPLICATES = {  # no key: duplicate rows and ties; RANK/DENSE_RANK keep a well-defined set
    "rank_ties": "SELECT g, x, rk FROM (SELECT g, x, RANK() OVER (PARTITION BY g ORDER BY x) AS rk FROM t) q WHERE rk <= 2",
    "rank_desc": "SELECT x, s FROM (SELECT x, s, RANK() OVER (ORDER BY x DESC NULLS LAST) AS rk FROM t) q WHERE rk < 3",
    "dense": "SELECT g, x, dr FROM (SELECT g, x, DENSE_RANK() OVER (PARTITION BY g ORDER BY x DESC) AS dr FROM t) q "
             "WHERE dr <= 2",
    "dense_eq": "SELECT x FROM (SELECT x, DENSE_RANK() OVER (ORDER BY x) AS dr FROM t) q WHERE dr = 2",
    "qualify_rank": "SELECT g, x FROM t QUALIFY RANK() OVER (PARTITION BY g ORDER BY x NULLS FIRST) <= 1",
    "count_over_rank": "SELECT g, COUNT(*) AS n FROM (SELECT g, RANK() OVER (PARTITION BY g ORDER BY x) AS rk FROM t) q "
                       "WHERE rk <= 2 GROUP BY g",
}
SPECS = {
    "keyed": Spec(DDL, KEYED, domains=DOMAINS, keys={"t": ("id",)}),
    "duplicates": Spec(DDL, DUPLICATES, domains={**DOMAINS, "s": ["a", "b"]}),
}


test_rank_filters = streams_test(SPECS, 15)


@pytest.mark.parametrize("view,ties", [("rn_lt", "limit 2 offset 0 order"), ("rn_flipped", "limit 4 offset 0 order"),
                                       ("rn_and_rank", "limit 3 offset 0 with rank ties"),
                                       ("qualify_rn", "limit 1 offset 0 order"),
                                       ("rank_ties", "limit 2 offset 0 with rank ties"),
                                       ("dense", "limit 2 offset 0 with dense ties"),
                                       ("dense_eq", "limit 2 offset 0 with dense ties")])
def test_rewritten_to_topk(view, ties):
    p = Pipeline()
    p.execute(DDL)
    p.execute(f"CREATE VIEW v AS {KEYED.get(view) or DUPLICATES[view]}")
    assert f"TopK {ties}" in p.plan_text("v")


def test_other_window_calls_are_left_alone():
    """LAG over a prefix would differ from LAG over the partition: no top-k under that window."""
    p = Pipeline()
    p.execute(DDL)
    p.execute(f"CREATE VIEW v AS {KEYED['with_lag']}")
    assert "TopK" not in p.plan_text("v")


def test_memory_per_view():
    """Pipeline.memory(): each view's state and each table's rows, growing with the rows held."""
    p = Pipeline()
    p.execute(DDL)
    p.execute("CREATE VIEW by_g AS SELECT g, MEDIAN(x) AS m FROM t GROUP BY g")
    p.execute("CREATE VIEW small AS SELECT COUNT(*) AS n FROM t")
    empty = p.memory()
    assert empty["t"]["kind"] == "table" and empty["by_g"]["kind"] == "view"
    p.insert("t", [(i, i % 3, i, "s") for i in range(3000)])
    p.step()
    full = p.memory()
    assert full["t"]["bytes"] > empty["t"]["bytes"] + 3000 * 50
    assert full["by_g"]["bytes"] > empty["by_g"]["bytes"] + 3000 * 20  # MEDIAN keeps every value
    assert full["small"]["bytes"] < full["by_g"]["bytes"] / 10  # a count keeps one number
    p.execute("DELETE FROM t")
    p.step()
    assert p.memory()["by_g"]["bytes"] < full["by_g"]["bytes"] / 10
