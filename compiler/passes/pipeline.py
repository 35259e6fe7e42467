"""The rewrite pipeline: every pass, in order, each preserving the plan's meaning.

Order matters:
0. empty_relations first: what is below a LIMIT 0 or a filter that is never true is never computed,
   so no later pass need look at it;
1. normalize_distinct, so pushdown sees the plan without redundant DISTINCTs;
2. push_filters turns WHERE conjuncts over comma joins into equi-join keys and moves filters below
   joins (it must run before projections are merged so it can inline them);
   reorder_joins then orders each tree of inner joins so that every join has a key where one exists;
3. merge_projections fuses the projections pushdown left behind;
4. prune_columns drops columns no ancestor reads (and narrows scans feeding joins), after which
   merge_projections runs once more to fuse the projections pruning introduced;
5. rank_topk last: it puts a top-k under a window filtered by rank, and the passes above rebuild
   TopK nodes without its ``ties``.
A pass is a ``Rule`` (rule.py: a local law the optimizer applies over the plan in its own
traversal) or a function of the whole plan (push_filters, prune_columns, rank_topk: their laws carry
context through it).  Between passes, ``optimize`` checks that the plan's output columns (names and
types) are what they were: a pass that changed them is a bug, reported as one, not a wrong answer later.
Incrementalization (the chain rule: linear operators are their own increments, joins become
bilinear arrangements, DISTINCT and aggregates their incremental forms) happens in lower.py, where
each plan node is mapped to its incremental runtime operator.
"""

from __future__ import annotations

from typing import Callable, Iterable

from .. import plan as P
from .empty_relations import empty_relations
from .merge_projections import merge_projections
from .normalize_distinct import normalize_distinct
from .prune_columns import prune_columns
from .push_filters import push_filters
from .rank_topk import rank_topk
from .reorder_joins import reorder_joins

PASSES = (empty_relations, normalize_distinct, push_filters, reorder_joins, merge_projections, prune_columns,
          merge_projections, rank_topk)


class PassError(AssertionError):
    """A pass changed what a plan outputs (an internal error: a bug in the pass)."""


def pass_name(rewrite: Callable) -> str:
    return getattr(rewrite, "name", None) or getattr(rewrite, "__name__", repr(rewrite))


def output_columns(plan: P.Plan) -> tuple:
    """What a plan's consumers see: each output column's name and type."""
    return tuple((f.name, f.type) for f in plan.fields)


def optimize(plan: P.Plan, passes: Iterable[Callable[[P.Plan], P.Plan]] = PASSES) -> P.Plan:
    fields = plan.fields
    for rewrite in passes:
        new = rewrite(plan)
        new_fields = new.fields
        if new_fields != fields and output_columns(new) != output_columns(plan):
            raise PassError(f"the {pass_name(rewrite)} pass changed the plan's output columns from "
                            f"{output_columns(plan)} to {output_columns(new)}")
        plan, fields = new, new_fields
    return plan
