"""Aggregates in USING KEY (DuckDB's aggregating keyed recursion, compiler/keyed_aggregation.py)
against DuckDB under random edge inserts and deletes (duplicates, NULLs, a final retraction), on one
and on three simulated workers; what it refuses, and where it fails a step.

The random views are written so that the candidates of one key in one iteration agree on every
payload column and on the argument of every order-dependent aggregate (each carries the iteration's
depth): DuckDB's answer is then defined (otherwise it depends on thread order, and deltasql fails the
step: test_payload_conflict_fails_the_step, test_order_conflict_fails_the_step)."""

import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import RETRACT_ALL, Spec, check_steps, seeds_test, streams_test

DDL = "CREATE TABLE e(src INT, dst INT)"
DOMAINS = {"src": [0, 1, 2, 3, None], "dst": [0, 1, 2, 3, None]}


def _walk(keys: str, select: str, union: str = "UNION ALL", depth: int = 3, cols: str = "k, d, n",
          anchor: str = "SELECT 0, 0, 1", out: str = "k, d, n") -> str:
    return (f"WITH RECURSIVE t({cols}) USING KEY ({keys}) AS ({anchor} {union} SELECT {select} FROM t JOIN e "
            f"ON t.k = e.src WHERE t.d < {depth}) SELECT {out} FROM t")


SPECS = {
    "union_all": Spec(DDL, {
        # walks of length <= 3 from 0: how many reach each node (sum of the walks' counts), the deepest
        "paths": _walk("k, max(d), sum(n)", "e.dst, t.d + 1, t.n"),
        "counts": _walk("k, count(*) AS n, min(d)", "e.dst, t.d + 1, 1"),
        "avg_list": _walk("k, avg(n) AS n, list(d)", "e.dst, t.d + 1, t.n * 2"),
        "string_agg": _walk("k, string_agg(d, '-')", "e.dst, CAST(t.n + 1 AS VARCHAR), t.n + 1",
                            anchor="SELECT 0, '1', 1").replace("t.d < 3", "t.n < 4"),
        "bits": _walk("k, bit_xor(n), bool_or(d)", "e.dst, t.d OR e.dst = 2, t.n + 1", cols="k, d, n",
                      anchor="SELECT 0, false, 1").replace("t.d < 3", "t.n < 4"),
        # every source as an anchor: keys met in the anchor and later
        "from_every_source": _walk("k, sum(n)", "e.dst, t.d + 1, t.n", anchor="SELECT src, 0, 1 FROM e"),
    }, domains=DOMAINS),
    "union": Spec(DDL, {
        # shortest distances (breadth-first, MIN): rows change while a shorter walk appears
        "shortest": _walk("k, min(d)", "e.dst, t.d + 1, 0", union="UNION", depth=6),
        # a payload column (a function of the key, so the candidates of one key agree; it changes when
        # the anchor's key 0 is reached again, which is one more iteration)
        "payload": _walk("k, min(d)", "e.dst, t.d + 1, COALESCE(e.dst, 9) * 2", union="UNION", depth=4),
        # a total read back through recurring.t
        "recurring": ("WITH RECURSIVE t(k, d, n) USING KEY (k, max(d), sum(n) AS n) AS (SELECT src, 0, 1 FROM e "
                      "UNION SELECT t.k, t.d + 1, r.n FROM t JOIN recurring.t r ON r.k = t.k WHERE t.d < 3) "
                      "SELECT k, d, n FROM t"),
        # a step that does not read t: one fold over both terms' rows (DuckDB's non-recursive lowering)
        "not_recursive": ("WITH RECURSIVE t(k, v) USING KEY (k, sum(v)) AS (SELECT src, dst FROM e UNION "
                          "SELECT dst, src FROM e) SELECT k, v FROM t"),
        # ARG_MIN / ARG_MAX tied on the value (b is 0 throughout): DuckDB keeps the candidate of the
        # earliest iteration, whose argument (10 - depth) is the largest, not the registry's smallest
        "arg_ties": _walk("k, min(d), arg_min(a, b) AS a, arg_max(x, b) AS x",
                          "e.dst, t.d + 1, 0, 9 - t.d, 9 - t.d", union="UNION", depth=4,
                          cols="k, d, b, a, x", anchor="SELECT 0, 0, 0, 10, 10", out="k, d, a, x"),
        "aggregated": "SELECT d, COUNT(*) AS c FROM (" + _walk("k, min(d)", "e.dst, t.d + 1, 0", union="UNION",
                                                              depth=6) + ") s GROUP BY d",
    }, domains=DOMAINS),
}


test_keyed_aggregation = streams_test(SPECS, 10)
test_keyed_aggregation_on_three_workers = seeds_test(SPECS, range(3), workers=3)


def test_cycle_duplicates_and_retraction():
    check_steps(SPECS["union_all"], [
        [("+", "e", (0, 1)), ("+", "e", (1, 2)), ("+", "e", (2, 0)), ("+", "e", (0, 1))],
        [("-", "e", (0, 1))],
        [("+", "e", (1, None)), ("+", "e", (None, 1))],
        [("-", "e", (2, 0)), ("+", "e", (2, 0))],
        RETRACT_ALL,
    ])


def _pipeline(**kw):
    p = Pipeline(dialect="duckdb", **kw)
    p.execute(DDL)
    return p


def test_payload_conflict_fails_the_step():
    """Two candidates of one key in one iteration with different payloads: DuckDB keeps either; here
    the step fails, changes nothing, and the next step without the conflict goes on."""
    p = _pipeline()
    p.execute("CREATE VIEW v AS WITH RECURSIVE t(k, v, p) USING KEY (k, min(v)) AS (SELECT src, 0, dst FROM e "
              "UNION SELECT k, v, p FROM t WHERE false) SELECT k, v, p FROM t")
    p.insert("e", [(1, 5), (2, 6)])
    p.step()
    p.insert("e", [(1, 7)])
    with pytest.raises(DataError, match=r"two different rows for USING KEY \(k\) = \(1\) that differ outside "
                                        r"the aggregates: \(5\) and \(7\)|\(7\) and \(5\)"):
        p.step()
    assert sorted(p.view("v").rows()) == [(1, 0, 5), (2, 0, 6)]
    p.delete("e", [(1, 5)])
    p.insert("e", [(1, 7)])
    assert p.step() == {"v": [((1, 0, 5), -1), ((1, 0, 7), 1)]}


def test_order_conflict_fails_the_step():
    """LIST over candidates of one iteration that differ: their order is DuckDB's threads'."""
    p = _pipeline()
    p.execute("CREATE VIEW v AS WITH RECURSIVE t(k, v) USING KEY (k, list(v)) AS (SELECT 0, 0 UNION ALL "
              "SELECT e.dst, e.src FROM t JOIN e ON t.k = 0 WHERE t.v = 0) SELECT k, v FROM t")
    p.insert("e", [(0, 1), (0, 1)])
    assert _plain(p.step()["v"]) == [((0, [0]), 1), ((1, [0, 0]), 1)]
    p.insert("e", [(1, 2), (3, 2)])  # key 2 gets 1 and 3 in one iteration
    with pytest.raises(DataError, match=r"iteration 1 gave USING KEY \(k\) = \(2\) different values of an "
                                        r"order-dependent aggregate \(list\(v\)\)"):
        p.step()
    assert _plain((row, 1) for row in p.view("v").rows()) == [((0, [0]), 1), ((1, [0, 0]), 1)]
    p.insert("e", [(1, 2), (1, 2)])
    assert _plain(p.step()["v"]) == [((2, [1, 1]), 1)]


def _plain(changes):
    return sorted((((k, list(v)), w) for (k, v), w in changes), key=repr)


def test_union_reads_aggregated_types():
    """Under UNION, t in the step is the union table's changed rows, of the aggregates' types; under
    UNION ALL it is the candidates themselves (DuckDB: recursive_cte_key_union.test:84)."""
    p = _pipeline()
    p.execute("CREATE VIEW u AS WITH RECURSIVE t(k, total) USING KEY (k, sum(total)) AS (VALUES (1, 1) UNION "
              "SELECT k, 1 FROM t WHERE total < 3) SELECT k, total FROM t")
    p.execute("CREATE VIEW a AS WITH RECURSIVE t(k, total) USING KEY (k, sum(total)) AS (VALUES (1, 1) UNION ALL "
              "SELECT k, total + 1 FROM t WHERE total < 3) SELECT k, total FROM t")
    p.step()
    assert p.view("u").rows() == [(1, 3)]
    assert p.view("a").rows() == [(1, 6)]


def test_constant_argument():
    """STRING_AGG of a constant (recursive_cte_key_aggregation.test:128): no ORDER BY on the constant."""
    p = _pipeline()
    p.execute("CREATE VIEW v AS WITH RECURSIVE tbl(a, b) USING KEY (a, string_agg(':a') AS b) AS (VALUES (1, 2), "
              "(1, 3) UNION ALL SELECT a, b + 1 FROM tbl WHERE b < 4) SELECT * FROM tbl")
    p.step()
    assert p.view("v").rows() == [(1, ":a,:a,:a,:a,:a")]


def test_explain_names_the_aggregates():
    p = _pipeline()
    p.execute("CREATE VIEW v AS " + _walk("k, max(d), sum(n)", "e.dst, t.d + 1, t.n"))
    text = p.explain("v")
    assert "KeyedFixpoint t USING KEY (k, max(d), sum(n)) UNION ALL" in text
    assert "AggregatingKeyedRecursion[WITH RECURSIVE t USING KEY (max(d), sum(n)) UNION ALL" in text


def test_durable_reopen(tmp_path):
    path = str(tmp_path / "k.db")
    view = _walk("k, max(d), sum(n)", "e.dst, t.d + 1, t.n")
    with Pipeline(dialect="duckdb", path=path, checkpoint_every=2) as p:
        p.execute(DDL)
        p.execute(f"CREATE VIEW v AS {view}")
        for edge in [(0, 1), (1, 2), (0, 2)]:
            p.insert("e", [edge])
            p.step()
    with Pipeline(path=path) as p:
        assert sorted(p.view("v").rows()) == [(0, 0, 1), (1, 1, 1), (2, 2, 2)]
        p.delete("e", [(0, 2)])
        assert p.step() == {"v": [((2, 2, 2), -1), ((2, 2, 1), 1)]}


REFUSED = [
    ("WITH RECURSIVE t(k, v) USING KEY (k, min(abs(v))) AS (SELECT 1, 2 UNION SELECT k, v FROM t) TABLE t",
     "an aggregate must either have a column reference", "min(abs"),
    ("WITH RECURSIVE t(k, v) USING KEY (k, count(DISTINCT v)) AS (SELECT 1, 2 UNION SELECT k, v FROM t) TABLE t",
     "DISTINCT is not supported for aggregates in USING KEY", "count(DISTINCT"),
    ("WITH RECURSIVE t(k, v) USING KEY (k, list(v ORDER BY v)) AS (SELECT 1, 2 UNION SELECT k, v FROM t) TABLE t",
     "ORDER BY is not supported for aggregates in USING KEY", "list(v ORDER"),
    ("WITH RECURSIVE t(k, v) USING KEY (k, min(k)) AS (SELECT 1, 2 UNION SELECT k, v FROM t) TABLE t",
     "cannot be used as both key and aggregate", "min(k)"),
    ("WITH RECURSIVE t(k, v) USING KEY (k, min(v), max(v)) AS (SELECT 1, 2 UNION SELECT k, v FROM t) TABLE t",
     "written by two aggregates", "max(v)"),
    ("WITH RECURSIVE t(k, v) USING KEY (min(v)) AS (SELECT 1, 2 UNION SELECT k, v FROM t) TABLE t",
     "requires at least one key column", "min(v)"),
    ("WITH RECURSIVE t(k, v) USING KEY (k, approx_count_distinct(v)) AS (SELECT 1, 2 UNION SELECT k, v FROM t) "
     "TABLE t", "APPROX_COUNT_DISTINCT is approximate", "approx_count"),
]


@pytest.mark.parametrize("sql,message,at", REFUSED)
def test_refused(sql, message, at):
    p = _pipeline()
    with pytest.raises(CompileError, match=message.replace("(", r"\(")) as info:
        p.execute(f"CREATE VIEW v AS {sql}")
    assert str(info.value).startswith(f"1:{len('CREATE VIEW v AS ') + sql.index(at) + 1}:"), str(info.value)
