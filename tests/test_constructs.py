"""Structural refusal (compiler/constructs.py): every node type and argument sqlglot can produce is
either read by a binder rule or refused with a CompileError at its position — never dropped."""

from __future__ import annotations

import inspect

import pytest
import sqlglot
from sqlglot import exp

from deltasql import CompileError, Pipeline
from deltasql.compiler import constructs
from deltasql.compiler.bind_expr import ExprBinder
from deltasql.compiler.constructs import ACCEPTED, ANY, ONLY_IN, When, refusal

ALL_CLASSES = sorted({c for c in vars(exp).values() if isinstance(c, type) and issubclass(c, exp.Expression)},
                     key=lambda c: c.__name__)


def _dummy(cls):
    """An instance of cls with no arguments (sqlglot does not validate on construction)."""
    return cls()


def test_entries_name_real_arguments():
    """An entry that names an argument sqlglot does not have would accept nothing: after an upgrade
    renames an argument, this fails instead of the renamed one being refused everywhere."""
    for cls, spec in ACCEPTED.items():
        unknown = set(spec) - set(cls.arg_types)
        assert not unknown, f"{cls.__name__}: {sorted(unknown)} are not arguments of it in this sqlglot"


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_every_node_type_and_argument_is_handled_or_refused(cls):
    """For every class sqlglot defines: a node of a class without an entry is refused; for a class
    with one, each argument it does not list is refused when present, and each listed one passes."""
    node = _dummy(cls)
    spec = ACCEPTED.get(cls)
    if spec is None or cls in ONLY_IN:  # ONLY_IN: refused out of its context (test_context_dependent_arguments)
        found = refusal(node)
        assert found is not None and "is not supported" in found[1]
        return
    assert refusal(node) is None
    for arg in cls.arg_types:
        probe = _dummy(cls)
        allowed = spec.get(arg, ANY)
        value = exp.Literal.number(1) if allowed is ANY or isinstance(allowed, When) else next(iter(allowed))
        probe.set(arg, value)
        found = refusal(probe)
        if isinstance(allowed, When):  # accepted in some contexts only (see test_context_dependent_arguments)
            continue
        if arg in spec:
            assert found is None, f"{cls.__name__}.{arg} is listed but refused: {found}"
        else:
            assert found is not None and "not supported" in found[1], f"{cls.__name__}.{arg} passes unlisted"


def test_context_dependent_arguments():
    """ORDER BY inside a call, f(x ORDER BY y), is read for an aggregate only."""
    ordered = sqlglot.parse_one("SELECT STRING_AGG(x, ',' ORDER BY y), UPPER(x ORDER BY y) FROM t", read="duckdb")
    agg, upper = [o for o in ordered.find_all(exp.Order)]
    assert refusal(agg) is None
    assert "ORDER BY inside" in refusal(upper)[1]
    # DuckDB's SUM(x) EXPORT_STATE parses as an alias of the aggregate named export_state
    state, alias = sqlglot.parse_one("SELECT SUM(x) EXPORT_STATE, x AS export_state FROM t", read="duckdb").expressions
    assert "EXPORT_STATE" in refusal(state)[1] and refusal(alias) is None
    # a list: the patterns of LIKE ANY / ALL, and a list value of its own (compiler/lists.py)
    quantified, plain = sqlglot.parse_one("SELECT s LIKE ANY (ARRAY['a%']), [1] FROM t", read="duckdb").find_all(exp.Array, bfs=False)
    assert refusal(quantified) is None and refusal(plain) is None


def test_expression_rules_and_entries_agree():
    """Each ExprBinder rule _<Class> has an entry for its class, so a rule added without saying which
    arguments it reads is caught here."""
    missing = []
    for name, _ in inspect.getmembers(ExprBinder, predicate=inspect.isfunction):
        if name.startswith("_") and not name.startswith("__") and name[1:2].isupper():
            cls = getattr(exp, name[1:], None)
            if cls is not None and cls not in ACCEPTED:
                missing.append(name[1:])
    assert not missing, f"ExprBinder rules without an entry in constructs.ACCEPTED: {missing}"


# constructs sqlglot parses that the binder used to drop silently (issue 21), each refused at its position
REFUSED = [
    ("SELECT * FROM a JOIN b ON a.x = b.x AND b.y > 1 WHERE a.x > 0 ORDER BY a.x LIMIT 1 WITH TIES", None),
    ("SELECT t.x FROM a AS t POSITIONAL JOIN b", "POSITIONAL JOIN"),
    ("SELECT x FROM a ORDER BY x WITH FILL", None),
    ("SELECT SUM(x IGNORE NULLS) OVER (ORDER BY x) FROM a", "IGNORE NULLS"),
]


def _pipeline():
    p = Pipeline()
    p.execute("CREATE TABLE a(x INT, y INT); CREATE TABLE b(x INT, y INT)")
    return p


@pytest.mark.parametrize("sql,words", [r for r in REFUSED if r[1]])
def test_refused_constructs_name_themselves(sql, words):
    with pytest.raises(CompileError) as e:
        _pipeline().execute(f"CREATE VIEW v AS {sql}")
    assert words in e.value.message and e.value.line == 1 and e.value.col is not None


def test_refusal_points_at_the_construct():
    p = _pipeline()
    with pytest.raises(CompileError) as e:
        p.execute("CREATE VIEW v AS\n  SELECT a.x\n  FROM a POSITIONAL JOIN b")
    assert e.value.line == 3 and "POSITIONAL JOIN" in e.value.message


def test_check_walks_parsed_trees_of_each_dialect():
    """The check works on trees of every supported dialect (a smoke test of the walk)."""
    for dialect in ("duckdb", "postgres", "sqlite"):
        tree = sqlglot.parse_one("SELECT a, COUNT(*) FROM t WHERE a > 1 GROUP BY a", read=dialect)
        constructs.check(tree, "")
