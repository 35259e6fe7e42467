"""The rewrite pipeline: every pass, in order, each preserving the plan's meaning.

Order matters:
1. normalize_distinct first, so pushdown sees the plan without redundant DISTINCTs;
2. push_filters turns WHERE conjuncts over comma joins into equi-join keys and moves filters below
   joins (it must run before projections are merged so it can inline them);
   reorder_joins then orders each tree of inner joins so that every join has a key where one exists;
3. merge_projections fuses the projections pushdown left behind;
4. prune_columns drops columns no ancestor reads (and narrows scans feeding joins), after which
   merge_projections runs once more to fuse the projections pruning introduced.
Incrementalization (the chain rule: linear operators are their own increments, joins become
bilinear arrangements, DISTINCT and aggregates their incremental forms) happens in lower.py, where
each plan node is mapped to its incremental runtime operator.
"""

from .merge_projections import merge_projections
from .normalize_distinct import normalize_distinct
from .prune_columns import prune_columns
from .push_filters import push_filters
from .reorder_joins import reorder_joins

PASSES = (normalize_distinct, push_filters, reorder_joins, merge_projections, prune_columns, merge_projections)


def optimize(plan):
    for rewrite in PASSES:
        plan = rewrite(plan)
    return plan
