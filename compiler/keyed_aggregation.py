"""Binding DuckDB's aggregating keyed recursion, ``WITH RECURSIVE t(k, v, w) USING KEY (k, min(v),
sum(w) AS w) AS (anchor UNION [ALL] step)``.

The semantics (DuckDB 2.0.1's, learnt from test/sql/cte/recursive_cte_key_{aggregation,union}.test
and experiments; runtime/nested/keyed_aggregation.py implements them):

- The rows the anchor and each iteration of the step produce are *candidates*, with t's columns as
  the anchor types them.  USING KEY names key columns and aggregate calls over the candidates'
  columns; each call writes the column its alias names, or else the column its first argument is
  (``min(v)`` writes v; ``min(abs(v))`` and ``count(*)`` need an alias).  A column is written by at
  most one call and is not a key.  Every other column (a *payload*) takes the value of the key's
  last candidate.
- The union table (what ``recurring.t`` and the result read) has one row per key: its key, each
  aggregate over every candidate of that key from the anchor on, and its payload.  Its aggregate
  columns have the aggregates' types (``sum`` of INTEGER is HUGEINT).
- UNION: ``t`` in the step is the rows of the union table that the last iteration changed (new keys,
  or a row that is now different as a value: an aggregate whose state changed but whose value did
  not changes nothing); the recursion stops when an iteration changes no row.  UNION ALL: ``t`` is
  the last iteration's candidates themselves (their own types), and the recursion stops when an
  iteration produces no candidate.
- Candidates of one key within one iteration arrive in no defined order.  An order-dependent
  aggregate (LIST, STRING_AGG, FIRST, ANY_VALUE, MODE) follows the iteration order and gives the same
  answer whatever the order within an iteration only while that key's candidates of one iteration
  agree on its argument; otherwise DuckDB's answer depends on thread timing, and here the step fails
  with a DataError.  So does a payload column with two different values for one key in one
  iteration.
- ARG_MIN/ARG_MAX keep, of the candidates tied on the value, the one DuckDB met first: an earlier
  iteration's (ties within one iteration take the registry's rule, as GROUP BY does).
- A step that reads neither ``t`` nor ``recurring.t`` is no recursion: DuckDB folds the anchor's and
  the step's rows once (``VALUES (1, 1), (1, 1) UNION VALUES (1, 1)`` under ``sum(v)`` is 3), and so
  does this (the anchor becomes both terms, the step nothing).
- Refused as DuckDB refuses them: DISTINCT, FILTER and ORDER BY inside the calls, a call with neither
  alias nor column argument, a column written twice or both key and aggregate, and an alias on a key.

Laws relied on: every aggregate of the registry (compiler/aggregates.py) is a function of the
multiset of its inputs, or, given ORDER BY (iteration, argument), of the iteration-ordered sequence
of them; so the union table after iteration i is ``SELECT keys, aggs FROM <candidates of iterations
0..i> GROUP BY keys``, which the runtime maintains with an ordinary incremental Aggregate (the fold
plan here) fed each iteration's candidates tagged with the iteration number.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from . import aggregates as AG
from . import constructs
from . import plan as P
from .errors import CompileError
from .positions import offset_to_position
from .recursion_types import bind_widening, cast_to
from .types import BIGINT

CANDIDATE_ALIAS = "__deltasql_candidate"
ITERATION = "__deltasql_iteration"


def candidates_name(cte: str) -> str:
    return "__deltasql_candidates_" + cte


def _call(item):
    """(the aggregate call, its alias or None) of one USING KEY item."""
    if isinstance(item, exp.Alias):
        return item.this, item.alias
    return item, None


def _written(sql: str, item) -> str:
    span = item.meta.get("key_item")
    return " ".join(sql[span[0]:span[1]].split()) if span else item.sql(dialect="duckdb")


def _error(qb, item, message: str) -> CompileError:
    """A CompileError at the start of a USING KEY item (its call's name, which has no node of its own)."""
    span = item.meta.get("key_item")
    if span is None:
        return qb.error(item, message)
    line, col = offset_to_position(qb.sql, span[0])
    return CompileError(message, line, col, qb.sql)


def _destinations(qb, name, items, names, keys) -> list[int]:
    """The column each aggregate item writes (see the module docstring)."""
    out: list[int] = []
    for item in items:
        call, alias = _call(item)
        node = call.this if isinstance(call, exp.IgnoreNulls) else call
        if not AG.is_aggregate(node):
            raise _error(qb, item, f"{item.sql(dialect='duckdb')} can't be used in the USING KEY clause: it "
                                 f"takes column names and aggregate calls")
        if isinstance(item, exp.Alias) and not AG.is_aggregate(node):
            raise _error(qb, item, "in USING KEY, only direct calls to an aggregate function can have an alias")
        if node.args.get("distinct") is not None or isinstance(node.this, exp.Distinct):
            raise _error(qb, item, "DISTINCT is not supported for aggregates in USING KEY (DuckDB refuses it too)")
        if isinstance(node.this, exp.Order) or isinstance(node.parent, exp.WithinGroup):
            raise _error(qb, item, "ORDER BY is not supported for aggregates in USING KEY (DuckDB refuses it too)")
        if any(isinstance(n, exp.Filter) for n in item.walk()):
            raise _error(qb, item, "FILTER is not supported for aggregates in USING KEY (DuckDB refuses it too)")
        if alias is None:
            first = node.this if not isinstance(node, exp.Anonymous) else (node.expressions or [None])[0]
            if not isinstance(first, exp.Column) or first.table:
                raise _error(qb, item, "in USING KEY, an aggregate must either have a column reference (its first "
                                     "argument) or an alias naming the column it writes")
            alias = first.name
        if alias not in names:
            raise _error(qb, item, f"USING KEY writes {alias}, which is not a column of {name}")
        i = names.index(alias)
        if i in keys:
            raise _error(qb, item, f"column {alias} cannot be used as both key and aggregate in USING KEY")
        if i in out:
            raise _error(qb, item, f"column {alias} is written by two aggregates in USING KEY")
        out.append(i)
    return out


def _ordered(call, column: exp.Column):
    """The call ordered by the candidates' iteration, then by its argument (ties within an iteration
    are checked at run time to be equal: compiler/keyed_aggregation.py's docstring)."""
    call = call.copy()
    node = call.this if isinstance(call, exp.IgnoreNulls) else call
    arg = node.this
    keys = [exp.Ordered(this=column.copy(), nulls_first=False)]
    if not isinstance(arg, exp.Literal):  # (a constant needs no tie-break, and ORDER BY 'x' is refused)
        keys.append(exp.Ordered(this=arg.copy(), nulls_first=False))
    node.set("this", exp.Order(this=arg, expressions=keys))
    return call


_TIE_BREAK = sqlglot.parse_one("CASE WHEN __by IS NULL THEN NULL ELSE {'v': __by, 'i': __i} END", dialect="duckdb")


def _earliest_on_ties(call, iteration: exp.Column):
    """ARG_MIN/ARG_MAX (and their _NULL forms) as DuckDB folds them here: of the candidates tied on the
    value, the one it met first wins, and it meets an earlier iteration's candidates first; so the value
    compared becomes {v: value, i: iteration} for ARG_MIN and {v: value, i: -iteration} for ARG_MAX
    (NULL where the value is NULL).  Ties within one iteration keep the registry's rule, as in GROUP BY."""
    entry = AG.lookup(call)
    if entry is None or entry.rule != "arg_extreme":
        return call
    call = call.copy()
    slot = call.expressions if isinstance(call, exp.Anonymous) else None
    by = slot[1] if slot is not None else call.expression
    if by is None:
        return call
    i = iteration.copy() if entry.fn.startswith("arg_min") else exp.Neg(this=iteration.copy())
    key = _TIE_BREAK.copy()
    for c in list(key.find_all(exp.Column)):
        c.replace(by.copy() if c.name == "__by" else i.copy())
    by.replace(key)
    return call


def _qualified(node):
    node = node.copy()
    for c in list(node.find_all(exp.Column)):
        if not c.table:
            c.set("table", exp.to_identifier(CANDIDATE_ALIAS))
    return node


def _order_dependent(call) -> bool:
    entry = AG.lookup(call.this if isinstance(call, exp.IgnoreNulls) else call)
    return bool(entry and entry.order)


def fold_queries(qb, name, items, names, keys):
    """The fold (``SELECT keys, aggregates FROM candidates GROUP BY keys``) and the conflict check
    (``SELECT keys, iteration FROM candidates GROUP BY keys, iteration HAVING`` an order-dependent
    aggregate's argument takes two different values), as sqlglot trees over the candidates."""
    iteration = exp.column(ITERATION, table=CANDIDATE_ALIAS)
    key_cols = [exp.column(names[i], table=CANDIDATE_ALIAS) for i in keys]
    source = exp.Table(this=exp.to_identifier(candidates_name(name)),
                       alias=exp.TableAlias(this=exp.to_identifier(CANDIDATE_ALIAS)))
    calls, differing = [], []
    for j, item in enumerate(items):
        call, _ = _call(item)
        call = _earliest_on_ties(_qualified(call), iteration)
        if _order_dependent(call):
            node = call.this if isinstance(call, exp.IgnoreNulls) else call
            arg = node.this
            for other in (node.args.get("separator"),):
                if other is not None and not isinstance(other, exp.Literal):
                    raise _error(qb, item, f"in USING KEY, {item.sql(dialect='duckdb')} needs a constant separator")
            call = _ordered(call, iteration)
            # two different non-NULL values, or NULL beside a value
            differing.append(exp.or_(
                exp.GT(this=exp.Count(this=exp.Distinct(expressions=[arg.copy()])), expression=exp.Literal.number(1)),
                exp.and_(exp.GT(this=exp.Count(this=arg.copy()), expression=exp.Literal.number(0)),
                         exp.LT(this=exp.Count(this=arg.copy()), expression=exp.Count(this=exp.Star())))))
        calls.append(exp.alias_(call, f"a{j}"))
    fold = exp.Select(expressions=[*(k.copy() for k in key_cols), *calls]).from_(source.copy()) \
        .group_by(*(k.copy() for k in key_cols))
    check = None
    if differing:
        check = exp.Select(expressions=[*(k.copy() for k in key_cols), iteration.copy()]).from_(source.copy()) \
            .group_by(*(k.copy() for k in key_cols), iteration.copy()).having(exp.or_(*differing))
    return fold, check


def bind_aggregating(qb, cte, name, anchor, anchor_ast, step_ast, raw, keys, gid, recname, distinct):
    """The KeyedFixpoint of an aggregating USING KEY CTE (see the module docstring); ``raw`` are the
    candidates' fields (the anchor's types), ``keys`` the key columns' positions."""
    items = cte.meta["key_aggregates"]
    names = [f.name for f in raw]
    dests = _destinations(qb, name, items, names, keys)
    fold_ast, check_ast = fold_queries(qb, name, items, names, keys)
    for tree in (fold_ast, check_ast):
        if tree is not None:
            constructs.check(tree, qb.sql)
    cands = candidates_name(name)

    def register(raw):
        qb.ctes[cands] = P.RecRef(cands, raw + (P.Field(ITERATION, BIGINT, False),), gid)
        fold = qb.query(fold_ast)
        check = qb.query(check_ast) if check_ast is not None else None
        folded = list(raw)
        for j, i in enumerate(dests):
            f = fold.plan.fields[len(keys) + j]
            folded[i] = P.Field(raw[i].name, f.type, f.nullable)
        union_fields = tuple(folded)
        qb.ctes[name] = P.RecRef(name, union_fields if distinct else raw, gid)
        qb.ctes[recname] = P.RecRef(recname, union_fields, gid)
        return fold, check, union_fields

    step, raw, (fold, check, union_fields) = bind_widening(qb, name, step_ast, raw, register)
    columns = tuple(("key", keys.index(i)) if i in keys else ("agg", dests.index(i)) if i in dests
                    else ("payload", i) for i in range(len(raw)))
    aggregation = P.KeyAggregation(fold.plan, check.plan if check is not None else None, cands,
                                   raw + (P.Field(ITERATION, BIGINT, False),), columns,
                                   ", ".join(_written(qb.sql, it) for it in items))
    first, rest = cast_to(qb, anchor.plan, raw, anchor_ast), cast_to(qb, step.plan, raw, step_ast)
    if gid not in P.free_groups(rest):  # DuckDB's non-recursive lowering: one fold over both terms' rows
        first, rest = P.UnionAll((first, rest), raw), P.Values((), raw)
    node = P.KeyedFixpoint(name, first, rest, tuple(keys), distinct, gid, recname, union_fields, qb.max_iterations,
                           aggregation)
    return node, step
