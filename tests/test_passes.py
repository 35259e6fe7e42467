"""Each rewrite pass on its own, fixture-driven (as sqlglot's tests/fixtures/optimizer/<rule>.sql):
tests/fixtures/passes/<pass>.sql holds the tables, then cases separated by blank lines, each a
comment saying what it shows, a query ending with ';', and the plan that pass alone makes of the
query's bound (unoptimized) plan, printed as ``compile --emit plan`` prints plans.  After an
intended change to a pass, rewrite the expected plans with

    DELTASQL_UPDATE_GOLDEN=1 pytest tests/test_passes.py

and review the diff (git diff tests/fixtures/passes) before committing it.

Also: the optimizer's check between passes that a plan's output columns did not change."""

import glob
import os

import pytest

from deltasql import Pipeline
from deltasql.compiler import plan as P
from deltasql.compiler.frontend import parse
from deltasql.compiler.passes import pipeline
from deltasql.compiler.passes.pipeline import PASSES, PassError, optimize, pass_name
from deltasql.compiler.passes.rule import BOTTOM_UP, TOP_DOWN, Rule, rewrite

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "passes")
UPDATE = os.environ.get("DELTASQL_UPDATE_GOLDEN", "") not in ("", "0")
BY_NAME = {pass_name(p): p for p in PASSES}


def read_fixture(path):
    """(tables SQL, [(comment, query, expected plan text)]) of a fixture file."""
    with open(path, encoding="utf-8") as f:
        blocks = [b.strip("\n") for b in f.read().split("\n\n") if b.strip()]
    tables, cases = blocks[0], []
    for block in blocks[1:]:
        lines = block.splitlines()
        comment = [x for x in lines if x.startswith("--")]
        rest = [x for x in lines if not x.startswith("--")]
        end = next(i for i, x in enumerate(rest) if x.rstrip().endswith(";"))
        cases.append(("\n".join(comment), "\n".join(rest[:end + 1]), "\n".join(rest[end + 1:])))
    return tables, cases


def write_fixture(path, tables, cases):
    with open(path, "w", encoding="utf-8") as f:
        f.write(tables + "\n")
        for comment, query, expected in cases:
            f.write("\n" + "\n".join(x for x in (comment, query, expected) if x) + "\n")


def bound_plan(p: Pipeline, query: str):
    """The plan the binder makes of a query, before any pass."""
    ast = parse(query, p.dialect.name)[0].ast
    bound, _ = p._bind_query(ast, query)
    return bound.plan


FILES = sorted(glob.glob(os.path.join(FIXTURES, "*.sql")))


def test_every_pass_has_a_fixture():
    assert {os.path.basename(f)[:-4] for f in FILES} == set(BY_NAME)


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-4] for f in FILES])
def test_pass_fixture(path):
    rewrite_pass = BY_NAME[os.path.basename(path)[:-4]]
    tables, cases = read_fixture(path)
    p = Pipeline()
    p.execute(tables)
    got, failures = [], []
    for comment, query, expected in cases:
        plan = bound_plan(p, query)
        out = rewrite_pass(plan)
        text = P.explain(out)
        got.append((comment, query, text))
        if text != expected:
            failures.append(f"{comment}\n{query}\nexpected:\n{expected}\ngot:\n{text}")
        # a case shows the pass at work (its plan differs from the binder's), or says it does not
        if (text == P.explain(plan)) != ("(unchanged)" in comment):
            failures.append(f"{comment}\n{query}\nthe pass {'changed nothing' if text == P.explain(plan) else 'changed the plan'}")
        assert pipeline.output_columns(out) == pipeline.output_columns(plan)
        assert P.explain(optimize(out)) == P.explain(optimize(plan))  # the rest of the pipeline agrees
    if UPDATE:
        write_fixture(path, tables, got)
    assert not failures, "\n\n".join(failures)


def test_a_pass_that_changes_the_output_columns_is_caught():
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, b TEXT)")
    plan = bound_plan(p, "SELECT a, b FROM t WHERE a > 1;")

    def drops_a_column(node):
        return P.Project(node, (P.col(node.fields, 0),), ("a",))

    with pytest.raises(PassError, match="drops_a_column pass changed the plan's output columns"):
        optimize(plan, PASSES + (drops_a_column,))


def test_traversal_orders_and_shared_subplans():
    """Bottom-up sees a node over its rewritten inputs, top-down before them; a subplan read twice
    is rewritten once and stays shared; a node whose inputs did not change is kept as it is."""
    p = Pipeline()
    p.execute("CREATE TABLE t(a INT, b TEXT)")
    scan = bound_plan(p, "SELECT * FROM t;")
    shared = P.Filter(scan, P.col(scan.fields, 0))
    plan = P.UnionAll((shared, shared), shared.fields)
    seen = {BOTTOM_UP: [], TOP_DOWN: []}
    for order in seen:
        out = rewrite(plan, lambda n, order=order: seen[order].append(type(n).__name__), order)
        assert out is plan
    names = [type(n).__name__ for n in P.walk(plan)]
    assert seen[TOP_DOWN] == names and seen[BOTTOM_UP] == list(reversed(names))
    marked = Rule("mark", lambda n: P.Filter(n.input, P.col(n.fields, 0)) if isinstance(n, P.Filter) and
                  n.input is scan else None)(plan)
    assert marked.parts[0] is marked.parts[1] and marked.parts[0] is not shared
