"""WITH RECURSIVE … USING KEY (DuckDB's keyed recursion) against DuckDB under random edge inserts and
deletes (duplicates, NULLs, a final retraction), plus what it refuses and where it fails a step.

The random views are written so that no iteration yields two different rows for one key: DuckDB's
answer is then defined (otherwise it keeps either row, by thread order, and deltasql fails the step;
test_key_conflict_fails_the_step)."""

import pytest

from deltasql import CompileError, DataError, Pipeline
from tests.harness import RETRACT_ALL, Spec, ViewSpec, check_steps, streams_test

DDL = "CREATE TABLE e(src INT, dst INT)"
DOMAINS = {"src": [0, 1, 2, 3, 4], "dst": [0, 1, 2, 3, 4]}

# every row of iteration i has d = i, so two rows for one key in one iteration are equal
DEPTH = ("WITH RECURSIVE t(k, d) USING KEY (k) AS (SELECT 0, 0 UNION SELECT e.dst, t.d + 1 FROM t JOIN e "
         "ON t.k = e.src WHERE t.d < 6) SELECT k, d FROM t")
# breadth-first distances: a key is written once, when first reached (recurring.t: the keys so far)
SHORTEST = ("WITH RECURSIVE t(k, d) USING KEY (k) AS (SELECT 0, 0 UNION SELECT e.dst, t.d + 1 FROM t JOIN e "
            "ON t.k = e.src WHERE NOT EXISTS (SELECT 1 FROM recurring.t r WHERE r.k = e.dst)) SELECT k, d FROM t")

SPECS = {
    "union": Spec(DDL, {
        "depth": DEPTH,
        "shortest": SHORTEST,
        "per_depth": f"SELECT d, COUNT(*) AS n FROM ({SHORTEST}) s GROUP BY d",
        "counter": "WITH RECURSIVE t(k, n) USING KEY (k) AS (SELECT src, 0 FROM e UNION SELECT k, n + 1 FROM t "
                   "WHERE n < 2) SELECT k, n FROM t",
        "whole_row_key": "WITH RECURSIVE t(k, m) USING KEY (k, m) AS (SELECT 0, 0 UNION SELECT e.dst, (t.m + 1) % 3 "
                         "FROM t JOIN e ON t.k = e.src) SELECT k, m FROM t",
        "late": ViewSpec(SHORTEST, create_at=3),
    }, domains=DOMAINS),
    "union_all": Spec(DDL, {
        "counter": "WITH RECURSIVE t(k, n) USING KEY (k) AS (SELECT src, 0 FROM e UNION ALL SELECT k, n + 1 FROM t "
                   "WHERE n < 3) SELECT k, n FROM t",
        "depth": DEPTH.replace(" UNION ", " UNION ALL ").replace("t.d < 6", "t.d < 3"),
    }, domains=DOMAINS),
    "step_reads_more": Spec(DDL, {
        # an aggregate over t, one row per key and iteration
        "grouped": "WITH RECURSIVE t(k, d, c) USING KEY (k) AS (SELECT 0, 0, 1 UNION SELECT e.dst, MAX(t.d) + 1, "
                   "COUNT(*) FROM t JOIN e ON t.k = e.src WHERE t.d < 4 GROUP BY e.dst) SELECT k, d, c FROM t",
        # the size of the union table so far, the same for every row of an iteration
        "recurring_size": "WITH RECURSIVE t(k, d, n) USING KEY (k) AS (SELECT 0, 0, 0 UNION SELECT e.dst, t.d + 1, "
                          "(SELECT COUNT(*) FROM recurring.t) FROM t JOIN e ON t.k = e.src WHERE t.d < 4) "
                          "SELECT k, d, n FROM t",
        # recurring.t joined: a key's row is rewritten from its own previous row
        "recurring_join": "WITH RECURSIVE t(k, d, hits) USING KEY (k) AS (SELECT src, 0, 0 FROM e UNION "
                          "SELECT t.k, t.d + 1, r.hits + 1 FROM t JOIN recurring.t r ON r.k = t.k WHERE t.d < 3) "
                          "SELECT k, d, hits FROM t",
        # the keyed result read twice by the view
        "self_join": f"SELECT a.k, b.k FROM ({SHORTEST}) a JOIN ({SHORTEST}) b ON a.d + 1 = b.d",
    }, domains=DOMAINS),
}


test_keyed_recursion = streams_test(SPECS, 12)


def test_cycle_and_retraction():
    """A cycle reached twice, an edge deleted and re-inserted in one step, duplicates, all retracted."""
    s = Spec(DDL, {"depth": DEPTH, "shortest": SHORTEST}, domains=DOMAINS)
    check_steps(s, [
        [("+", "e", (0, 1)), ("+", "e", (1, 2)), ("+", "e", (2, 0)), ("+", "e", (2, 3))],
        [("-", "e", (1, 2))],
        [("+", "e", (1, 2)), ("+", "e", (1, 2))],
        [("-", "e", (2, 0)), ("+", "e", (2, 0))],
        [("-", "e", (1, 2)), ("+", "e", (0, 3))],
        RETRACT_ALL,
    ])


def _pipeline(**kw):
    p = Pipeline(dialect="duckdb", **kw)
    p.execute(DDL)
    return p


def test_key_conflict_fails_the_step():
    """Two different rows for one key in one iteration: DuckDB keeps either; here the step fails,
    changes nothing, and the next step without the conflict goes on."""
    p = _pipeline()
    p.execute("CREATE VIEW v AS WITH RECURSIVE t(k, d) USING KEY (k) AS (SELECT src, dst FROM e UNION "
              "SELECT k, d FROM t WHERE false) SELECT k, d FROM t")
    p.insert("e", [(1, 5), (2, 6)])
    p.step()
    p.insert("e", [(1, 7)])
    with pytest.raises(DataError, match=r"two different rows for USING KEY \(k\) = \(1\): \(1, 5\) and \(1, 7\)"):
        p.step()
    assert sorted(p.view("v").rows()) == [(1, 5), (2, 6)]
    p.delete("e", [(1, 5)])
    p.insert("e", [(1, 7)])
    assert p.step() == {"v": [((1, 5), -1), ((1, 7), 1)]}


def test_conflict_in_a_later_iteration():
    p = _pipeline()
    p.execute("CREATE VIEW v AS WITH RECURSIVE t(k, w) USING KEY (k) AS (SELECT 0, 0 UNION "
              "SELECT e.dst, e.src FROM t JOIN e ON t.k = e.src) SELECT k, w FROM t")
    p.insert("e", [(0, 1), (0, 2)])
    p.step()
    assert sorted(p.view("v").rows()) == [(0, 0), (1, 0), (2, 0)]
    p.insert("e", [(1, 3), (2, 3)])  # iteration 2 reaches 3 from 1 and from 2
    with pytest.raises(DataError, match="iteration 2 produced two different rows"):
        p.step()
    assert sorted(p.view("v").rows()) == [(0, 0), (1, 0), (2, 0)]


def test_iteration_limit():
    """UNION ALL reading t unchanged never stops (DuckDB loops forever): a DataError at the limit."""
    p = _pipeline(max_iterations=50)
    p.execute("CREATE VIEW v AS WITH RECURSIVE t(k) USING KEY (k) AS (SELECT src FROM e UNION ALL "
              "SELECT k FROM t) SELECT k FROM t")
    p.insert("e", [(1, 1)])
    with pytest.raises(DataError, match="did not stop within 50 iterations"):
        p.step()
    assert p.view("v").rows() == []


def test_union_stops_when_nothing_changes():
    """UNION: rewriting a key with its own row is no change, so the recursion stops (as DuckDB)."""
    p = _pipeline()
    p.execute("CREATE VIEW v AS WITH RECURSIVE t(k, v) USING KEY (k) AS (SELECT src, dst FROM e UNION "
              "SELECT k, v FROM t) SELECT k, v FROM t")
    p.insert("e", [(1, None), (2, 3)])
    assert sorted(p.step()["v"], key=repr) == [((1, None), 1), ((2, 3), 1)]


def test_explain_states_the_cost():
    p = _pipeline()
    p.execute(f"CREATE VIEW v AS {SHORTEST}")
    text = p.explain("v")
    assert "KeyedFixpoint t USING KEY (k) UNION (recomputed whole when an input changes)" in text
    assert "KeyedRecursion[WITH RECURSIVE t USING KEY UNION, recomputed whole when an input changes]" in text


def test_durable_reopen(tmp_path):
    """The operator's state (the result, the child circuit's arrangements) survives a checkpoint
    and a journal replay."""
    path = str(tmp_path / "k.db")
    with Pipeline(dialect="duckdb", path=path, checkpoint_every=2) as p:
        p.execute(DDL)
        p.execute(f"CREATE VIEW v AS {SHORTEST}")
        for edge in [(0, 1), (1, 2), (2, 3)]:
            p.insert("e", [edge])
            p.step()
    with Pipeline(path=path) as p:
        assert sorted(p.view("v").rows()) == [(0, 0), (1, 1), (2, 2), (3, 3)]
        p.insert("e", [(0, 3)])
        assert p.step() == {"v": [((3, 3), -1), ((3, 1), 1)]}


REFUSED = [
    ("WITH RECURSIVE t(k, v) USING KEY (z) AS (SELECT 1, 2 UNION SELECT k, v FROM t) SELECT * FROM t",
     "USING KEY names z, which is not a column of t", "z)"),
    ("WITH RECURSIVE t(k, v) USING KEY (k) AS (SELECT 1, 2) SELECT * FROM t",
     "must be anchor UNION [ALL] recursive term", "1, 2)"),
    ("WITH RECURSIVE t(k, v) USING KEY (k) AS (SELECT 1, 2 UNION SELECT k, v FROM t UNION SELECT k, v FROM t) "
     "SELECT * FROM t", "the anchor (the first term) of recursive CTE t cannot read t", "t UNION SELECT k, v FROM t)"),
    ("WITH t(k, v) USING KEY (k) AS (SELECT 1, 2) SELECT * FROM t", "USING KEY in a WITH that is not RECURSIVE",
     "t(k, v) USING"),
    ("WITH RECURSIVE t(k) USING KEY (k) AS (SELECT 1 UNION SELECT k FROM u), u(k) AS (SELECT k FROM t) "
     "SELECT * FROM t", "is mutually recursive with u", "t(k) USING"),
    ("WITH RECURSIVE o(a) AS (SELECT 1 UNION (WITH RECURSIVE t(k) USING KEY (k) AS (SELECT a FROM o UNION "
     "SELECT k FROM t) SELECT k FROM t)) SELECT * FROM o", "reads o, a recursive CTE it is nested in", None),
    ("WITH RECURSIVE t(k) AS (SELECT 1 UNION SELECT k FROM recurring.t) SELECT * FROM t",
     "a schema name RECURRING", "recurring.t)"),
    # DuckDB's aggregating form (tests/test_diff_keyed_aggregation.py): an alias must name a column
    ("WITH RECURSIVE t(k, v) USING KEY (k, max(v) AS w) AS (SELECT 1, 2 UNION SELECT k, v - 1 FROM t WHERE v > 0) "
     "SELECT * FROM t", "USING KEY writes w, which is not a column of t", "max(v) AS w"),
]


@pytest.mark.parametrize("sql,message,at", REFUSED)
def test_refused(sql, message, at):
    p = _pipeline()
    with pytest.raises(CompileError) as err:
        p.execute("CREATE VIEW v AS " + sql)
    assert message in err.value.message
    full = "CREATE VIEW v AS " + sql
    if at is not None:
        lines = full.split("\n")
        assert lines[err.value.line - 1][err.value.col - 1:].startswith(at), (err.value.line, err.value.col)
