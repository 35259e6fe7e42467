"""DuckDB's SQL test files through deltasql (tests/duckdb_tests): the script parser, the runner's rules
on small scripts, a sample of ../shared/duckdb-tests with no wrong answer, and (DELTASQL_LONG=1) all
of it."""

from __future__ import annotations

import os

import pytest

from tests.duckdb_tests.report import group_counts, table
from tests.duckdb_tests.runner import CORPUS, FileRun, collect, group_of, run_files, sample_files, unordered
from tests.duckdb_tests.script import parse

LONG = os.environ.get("DELTASQL_LONG") == "1"
SAMPLE = int(os.environ.get("DELTASQL_DUCKDB_SAMPLE", "45"))  # files in the default run (~1 minute)
SAMPLE_MAX_ROWS = 5000  # the sample skips tables over this (the long run feeds up to runner.MAX_ROWS): CI time


def test_parser_records_loops_and_conditions():
    text = """# name: x
statement ok
CREATE TABLE t(i INTEGER)

foreach type integer bigint

query I rowsort
SELECT CAST(1 AS {type})
----
1

endloop

loop i 0 2

statement ok
INSERT INTO t VALUES (${i})

endloop

skipif duckdb
query I
SELECT 'not for us'
----

onlyif duckdb
statement error
SELECT nope
----
Binder Error

mode skip

query I
SELECT 'skipped'
----

mode unskip

require json
"""
    recs = parse(text)
    assert [r.kind for r in recs] == ["statement", "query", "query", "statement", "statement", "statement", "require"]
    assert recs[1].sql == "SELECT CAST(1 AS integer)" and recs[1].sort == "rowsort" and recs[1].tag == "type=integer"
    assert recs[2].sql == "SELECT CAST(1 AS bigint)" and recs[1].key != recs[2].key
    assert [r.sql for r in recs[3:5]] == ["INSERT INTO t VALUES (0)", "INSERT INTO t VALUES (1)"]
    assert recs[5].expect == "error" and recs[5].results == ["Binder Error"]
    assert recs[6].args == ["json"]
    nested = parse("foreach a 1 2\n\nforeach b <signed>\n\nquery I\nSELECT {a}::{b}\n----\n\nendloop\n\nendloop\n")
    assert len(nested) == 10 and nested[-1].sql == "SELECT 2::hugeint"


SCRIPT = """
statement ok
CREATE TABLE t(g INTEGER, x INTEGER, s VARCHAR)

statement ok
INSERT INTO t VALUES (1, 10, 'a'), (1, 20, 'b'), (2, 30, 'c'), (2, NULL, 'd'), (3, 5, 'e')

query II
SELECT g, SUM(x) FROM t GROUP BY g ORDER BY g
----

query IT
SELECT g, STRING_AGG(s, ',') FROM t GROUP BY g
----

query I
SELECT x FROM t ORDER BY g LIMIT 1
----

query I
SELECT * FROM t, LATERAL (SELECT array_distinct([x]))
----

statement error
SELECT nope FROM t
----

statement ok
DELETE FROM t WHERE g = 1

statement ok
CREATE TABLE u AS SELECT unnest(array_distinct([1, 2, 3])) AS i

query I
SELECT SUM(x) + (SELECT COUNT(*) FROM u) FROM t
----

statement ok
SET default_null_order = 'nulls_first'

query I
SELECT x FROM t ORDER BY x NULLS LAST, x LIMIT 2
----

query I
SELECT x FROM t ORDER BY x LIMIT 2
----

statement ok
SET default_collation = 'nocase'

query I
SELECT x FROM t ORDER BY x
----
"""


def test_runner_rules(tmp_path):
    path = tmp_path / "rules.test"
    path.write_text(SCRIPT)
    report = FileRun(str(path)).run()

    def outcome(words):
        found = [o for o in report.outcomes if words in o.sql]
        return found[0] if found else None
    q = report.queries
    # SUM per group, the error both engines raise, LIMIT 1: equal; STRING_AGG without ORDER BY: equal or
    # order-dependent (DuckDB's own order changes with the rows' order), never wrong
    assert q["wrong"] == 0 and q["crashed"] == 0, report.outcomes
    assert q["equal"] >= 6 and sum(q.values()) == 9
    agg = outcome("STRING_AGG")
    assert agg is None or agg.status == "order"
    # (ARRAY_DISTINCT, whose order is DuckDB's hash order, stands for a refused construct: UNNEST and then
    # maps, the examples before, are supported now)
    lateral = outcome("array_distinct([x])")
    assert lateral.status == "refused" and "ARRAY_DISTINCT() is not supported" in lateral.cause
    # CREATE TABLE … AS SELECT …: refused as a statement, the table then loaded from DuckDB
    # so that the query over it is still checked (equal: not among the outcomes)
    ctas = outcome("array_distinct([1, 2, 3])")
    assert ctas.kind == "statement" and ctas.status == "refused"
    assert outcome("COUNT(*) FROM u") is None
    # a setting deltasql has applies to the later queries (ORDER BY x LIMIT 2 takes the NULL first: equal);
    # one it does not have blocks them, refused with its name
    assert outcome("ORDER BY x LIMIT 2") is None and outcome("ORDER BY x NULLS LAST, x LIMIT 2") is None
    blocked = outcome("ORDER BY x\n") or outcome("SELECT x FROM t ORDER BY x")
    assert blocked.status == "refused" and "default_collation" in blocked.cause


PREPARED = """# name: prepared
statement ok
CREATE TABLE t(x INTEGER, s VARCHAR)

statement ok
INSERT INTO t VALUES (1, 'a'), (2, 'b'), (NULL, 'c'), (2, '?')

statement ok
PREPARE by_x AS SELECT s FROM t WHERE x = ?::INTEGER OR s = ?

query I
EXECUTE by_x(2, '?')
----

statement ok
PREPARE numbered AS SELECT $2 || s, x + $1 FROM t WHERE s <> '$1'

query II
EXECUTE numbered(10, 'p-')
----

statement ok
SET default_collation = 'nocase'

query I
SELECT s FROM t WHERE s = 'A'
----

statement ok
SET default_collation = ''

query I
SELECT s FROM t WHERE s = 'A'
----

statement ok
DEALLOCATE by_x

statement error
EXECUTE by_x(1, 'a')
----
"""


def test_prepared_statements_and_settings_set_back(tmp_path):
    """EXECUTE of a prepared query is that query with its parameters bound to the arguments (checked
    as a view like any query; DuckDB answers the EXECUTE itself); a setting deltasql lacks blocks the
    queries only while it differs from DuckDB's default."""
    path = tmp_path / "prepared.test"
    path.write_text(PREPARED)
    report = FileRun(str(path)).run()
    q = report.queries
    assert q["wrong"] == 0 and q["crashed"] == 0, report.outcomes
    assert q["equal"] == 3, report.outcomes  # the two EXECUTEs and the query after the setting is set back
    refused = [o for o in report.outcomes if o.status == "refused" and o.kind == "query"]
    assert len(refused) == 1 and "default_collation" in refused[0].cause
    assert sum(q.values()) == 4  # (the EXECUTE of a deallocated statement is DuckDB's error: not a query)


def test_binding_parameters():
    from tests.duckdb_tests.prepared import Unbindable, bind, executed
    assert bind("SELECT ?::INT = ?, '?'", ["1", "NULL"], {}) == "SELECT (1)::INT = (NULL), '?'"
    assert bind("SELECT $2, $1 + $1", ["1", "'x'"], {}) == "SELECT ('x'), (1) + (1)"
    assert bind("SELECT $name", [], {"name": "[1, 2]"}) == "SELECT ([1, 2])"
    assert executed("EXECUTE q(1, 'a,b', [1, 2], name := 3);") == ("q", ["1", "'a,b'", "[1, 2]"], {"name": "3"})
    with pytest.raises(Unbindable):
        bind("SELECT ?", ["1", "2"], {})  # DuckDB: wrong number of arguments


def test_order_dependent_queries_are_told_from_their_sql():
    """Answers SQL leaves open (DuckDB answers by the order it reads rows in): counted 'order', listed."""
    for sql in ("SELECT * FROM t LIMIT 5", "SELECT (SELECT i FROM t LIMIT 1)", "SELECT STRING_AGG(s, ',') FROM t",
                "SELECT LIST(a) FROM t", "SELECT DISTINCT ON (a) a, b FROM t ORDER BY a",
                "SELECT ROW_NUMBER() OVER (PARTITION BY a) FROM t"):
        assert unordered(sql), sql
    for sql in ("SELECT * FROM t ORDER BY a LIMIT 5", "SELECT STRING_AGG(s, ',' ORDER BY s) FROM t",
                "SELECT ROW_NUMBER() OVER (ORDER BY a) FROM t", "SELECT a, SUM(b) FROM t GROUP BY a"):
        assert not unordered(sql), sql


def test_groups_and_table():
    assert group_of("test/sql/function/string/test_left.test") == "function/string"
    assert group_of("test/sql/types/nested/list/x.test") == "types/nested"
    assert group_of("test/sql/aggregate/aggregates/test_sum.test") == "aggregate"
    assert group_of("test/sql/cte/materialized/a.test") == "cte"


KNOWN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "duckdb_tests", "known_failures.txt")


def known_failures() -> dict[str, str]:
    """query id -> the BUGS.md entry it waits on (tests/duckdb_tests/known_failures.txt)."""
    out = {}
    with open(KNOWN) as f:
        for line in f:
            line = line.split("#", 1)[0].strip() if line.startswith("#") else line.strip()
            if line:
                qid, _, ref = line.partition(" ")
                out[qid] = ref.strip()
    return out


def _check(reports):
    print("\n" + table(reports))
    known = known_failures()
    bad = [o for r in reports for o in r.outcomes if o.status in ("wrong", "crashed") and o.kind == "query"]
    new = [o for o in bad if o.qid not in known]
    assert not new, "wrong answers or crashes on DuckDB's tests (fix them, or list them in " \
                    "tests/duckdb_tests/known_failures.txt with a BUGS.md entry):\n" + "\n\n".join(
        f"{o.status} {o.qid}: {o.sql}\n{o.cause}\n{o.detail[:800]}" for o in new)
    ran = {f"{r.fid}:{k}" for r in reports for k in ran_keys(r)}
    fixed = [q for q in known if q in ran and q not in {o.qid for o in bad}]
    assert not fixed, f"listed as known failures but right now (remove them from known_failures.txt): {fixed}"
    counts = group_counts(reports)
    assert sum(c["equal"] for c in counts.values()) > 0


def ran_keys(report) -> set:
    """The record keys of the queries a file report ran (its outcomes and its equal ones are not
    listed one by one: every key of the file when it ran at all)."""
    from tests.duckdb_tests.script import parse_file
    if not sum(report.queries.values()):
        return set()
    return {rec.key for rec in parse_file(report.path)}


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/duckdb-tests is not present")
@pytest.mark.skipif(LONG, reason="DELTASQL_LONG=1 runs every file instead")
def test_duckdb_tests_sample():
    files = sample_files(collect([CORPUS]), SAMPLE, seed=0)
    _check(run_files(files, jobs=2, max_rows=SAMPLE_MAX_ROWS))


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="../shared/duckdb-tests is not present")
@pytest.mark.skipif(not LONG, reason="set DELTASQL_LONG=1 for every file (about 15 minutes on 2 cores)")
def test_duckdb_tests_all():
    _check(run_files(collect([CORPUS]), jobs=2))
