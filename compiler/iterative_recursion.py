"""DuckDB's own evaluation of ``WITH RECURSIVE t AS (anchor UNION step)`` where it is no least
fixpoint: a step that reads ``t`` through an aggregation, a negation or the NULL side of an outer
join (not stratifiable), or that reads ``t`` more than once (non-linear).

DuckDB evaluates every recursive CTE with a working table: W0 = the anchor's distinct rows; the step
reads ``t`` as W(i-1) only (every reference to it), and Wi = the step's distinct rows that are not in
the result yet; the result is W0 ∪ W1 ∪ … up to the first empty Wi.  For a step that is monotone
and linear in ``t`` this is the least fixpoint the ordinary Fixpoint computes (semi-naive evaluation
is this loop); otherwise the two differ — ``SELECT SUM(x) FROM t`` has no least fixpoint, and
``SELECT a.x, b.y FROM t a JOIN t b ON a.y = b.x`` over a path of 4 edges is 8 rows in DuckDB (W⋈W
skips odd lengths) where the fixpoint is the closure's 10.  That loop is exactly a USING KEY
recursion (runtime/nested/keyed.py) keyed by the whole row under UNION: a candidate already in the
union table changes nothing, a new one is the next working table.  So the CTE becomes a
KeyedFixpoint over every column, recomputed whole when an input changes (explain says so).

UNION ALL keeps refusing these steps: its result is a bag, which a keyed union table is not.
"""

from __future__ import annotations

from . import plan as P
from .errors import CompileError
from .recurring import recurring_name


def not_a_fixpoint(qb, plan, gid, check, args) -> bool:
    """Whether a recursive term's plan reads its group other than once and monotonically (``check``
    is recursion.py's stratification check, raising CompileError for the reasons it names)."""
    if _reads(plan, gid) > 1:
        return True
    try:
        check(*args)
    except CompileError:
        return True
    return False


def _reads(plan, gid) -> int:
    """How many times a plan reads its group's relation (a subplan read twice counts twice)."""
    if isinstance(plan, P.RecRef):
        return 1 if plan.group == gid else 0
    if isinstance(plan, P.Fixpoint):
        return sum(_reads(b, gid) for b in plan.bodies)
    return sum(_reads(child, gid) for child in plan.inputs)


def working_table_recursion(qb, name, anchors, steps, fields, gid) -> P.KeyedFixpoint:
    """The KeyedFixpoint evaluating ``name`` as DuckDB does (see the module docstring); ``anchors``
    and ``steps`` are its terms' plans, cast to ``fields``."""
    anchor = anchors[0] if len(anchors) == 1 else P.UnionAll(tuple(anchors), fields)
    step = steps[0] if len(steps) == 1 else P.UnionAll(tuple(steps), fields)
    for p in P.walk(step):
        if isinstance(p, (P.Fixpoint, P.KeyedFixpoint)) and gid in P.free_groups(p):
            raise qb.error(None, f"a recursive CTE inside the recursive term of {name} that reads {name} is not "
                                 f"supported when {name} is evaluated by iterations")
    return P.KeyedFixpoint(name, anchor, step, tuple(range(len(fields))), True, gid, recurring_name(name), fields,
                           qb.max_iterations)
