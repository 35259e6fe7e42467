"""AGGREGATE_STATE<agg(args)>: the type of ``agg(args) EXPORT_STATE``, and what SQL may do with one.

A state value (runtime/aggregate_states.py) is the multiset of what the aggregate was fed, so
``FINALIZE(agg(x) EXPORT_STATE) = agg(x)``, ``COMBINE(s, t)`` is the state of both inputs and
``COMBINE_AGGR(s)`` the state of a group's states: each is maintained exactly under insertions and
deletions, in any grouping.  The type carries the aggregate call it holds states of (``SqlType.agg``)
and compares by its signature: the aggregate, its argument types, its constant parameter, its ORDER BY
(types and directions) and its result type, so COMBINE refuses states of different aggregates (as
DuckDB does) and the states it merges feed the same aggregate function.

What a query may do with a state: FINALIZE, COMBINE, COMBINE_AGGR, TYPEOF, and carry it through
subqueries, CTEs, aliases and UNION ALL.  Anything else is refused at its position: a state compared,
grouped, ordered, made DISTINCT, cast or output by a view.  DuckDB prints a state as its internal
layout (a struct of running sums, a buffer of rows in arrival order, …), which is not reproduced; its
equality is that of the layout, not of the multiset.  DISTINCT aggregates' states are refused, as in
DuckDB (the state does not keep the distinct set).  A table column of type AGGREGATE_STATE is not
supported (DuckDB's stored layout would have to be read back into a multiset, which it does not hold).
"""

from __future__ import annotations

from sqlglot import exp

from . import plan as P
from .expr import Call
from .types import SqlType

OUTPUT_REFUSED = ("an aggregate state (agg(…) EXPORT_STATE, an AGGREGATE_STATE) cannot be the output of a "
                  "view or query: DuckDB shows its internal layout, which is not reproduced; FINALIZE it")
WHERE_REFUSED = ("an aggregate state (AGGREGATE_STATE) can only be passed to FINALIZE, COMBINE, COMBINE_AGGR "
                 "or TYPEOF, or carried through a subquery or UNION ALL; not {what}")


def signature(a: P.AggCall) -> str:
    """The aggregate call ``a`` as a type name: ``sum(INTEGER) -> HUGEINT``, with its parameter and order."""
    if a.fn == "count_star":
        args = "*"
    elif isinstance(a.arg, Call) and a.arg.fn == "pair":
        args = ", ".join(str(x.type) for x in a.arg.args)
    else:
        args = str(a.arg.type) if a.arg is not None else ""
    text = f"{a.fn}({args}"
    if a.param is not None:
        text += f", {a.param!r}"
    if a.order:
        text += " ORDER BY " + ", ".join(f"{e.type}{' DESC' if desc else ''}{' NULLS FIRST' if nf else ''}"
                                         for e, desc, nf in a.order)
    return f"{text}) -> {a.type}"


def state_type(a: P.AggCall) -> SqlType:
    """AGGREGATE_STATE of the aggregate call ``a``."""
    return SqlType("aggstate", fields=((signature(a), a.type),), agg=a)


def is_state(t: SqlType) -> bool:
    return t.kind == "aggstate"


def finalized_type(t: SqlType) -> SqlType:
    """The result type of FINALIZE of a state of type t: the aggregate's."""
    return t.fields[0][1]


_TAKERS = ("finalize", "combine", "combine_aggr")  # the calls that take a state


def misused(node) -> str | None:
    """What an expression of state type is used for where that is refused (its parent in the query),
    or None where it may be: a FINALIZE / COMBINE / COMBINE_AGGR / TYPEOF argument, an item of a SELECT
    list (aliased or not, in parentheses or not), a scalar subquery's value."""
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    if isinstance(parent, exp.Alias) and parent.this is node or isinstance(parent, exp.Subquery):
        node, parent = parent, parent.parent
    if parent is None:
        return None
    if isinstance(parent, exp.Select) and node.arg_key == "expressions":
        return None
    if isinstance(parent, exp.Typeof) or (isinstance(parent, exp.Anonymous) and parent.name.lower() in _TAKERS):
        return None
    if isinstance(parent, exp.Cast):
        return "a cast (DuckDB's cast reads its internal layout)"
    text = parent.sql(dialect="duckdb")
    return f"in {text if len(text) <= 60 else text[:57] + '...'}"


def same_states(binder, node, args, label: str):
    """COMBINE's arguments: states of one aggregate (DuckDB refuses others too)."""
    a, b = args
    if a.type != b.type:
        raise binder.error(node, f"{label} of states of different aggregates ({a.type.fields[0][0]} and "
                                 f"{b.type.fields[0][0]}) is not supported")
    return args


def state_function(a: P.AggCall, make):
    """The runtime aggregate of an EXPORT_STATE or COMBINE_AGGR call ``a`` (its type a state type);
    ``make()`` builds the runtime aggregate the state is of (aggregates.AggregateFunction)."""
    from ..runtime.aggregate_states import CombineStates, ExportState
    kind = ExportState if a.fn == "export_state" else CombineStates
    return kind(a.type.fields[0][0], make)
