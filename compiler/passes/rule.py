"""Rules whose law is local, and the traversal that applies them (the optimizer owns it, as in
DataFusion's OptimizerRule with its ApplyOrder, or sqlglot's list of rules).

A ``Rule`` wraps ``apply(node) -> node | None``: the node rewritten where its law matches, None
where it does not.  The rule looks at a node and, where its law needs it, at the nodes just below
(a projection over a projection, a tree of inner joins); it never walks the plan itself.  The
traversal visits every node once, shares the rewrite of a subplan that several parents read (a
plan is a DAG: a CTE read twice, a subquery's domain), and rebuilds a node only when one of its
inputs changed:

* BOTTOM_UP: the inputs are rewritten first, then the rule sees the node over its new inputs (it
  can rely on them being already rewritten: merging projections one level at a time suffices);
* TOP_DOWN: the rule sees the node as it is, then the traversal goes on into the inputs of what it
  returned (a rule that must see a whole structure before its parts are touched: a tree of joins).

Passes whose law carries context through the plan (filters pushed down collect predicates on the
way; column pruning passes the columns read from parent to child) stay functions of the whole plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .. import plan as P

BOTTOM_UP = "bottom_up"
TOP_DOWN = "top_down"


@dataclass(frozen=True)
class Rule:
    name: str
    apply: Callable[[P.Plan], P.Plan | None]
    order: str = BOTTOM_UP

    def __call__(self, plan: P.Plan) -> P.Plan:
        return rewrite(plan, self.apply, self.order)


def rewrite(plan: P.Plan, apply: Callable[[P.Plan], P.Plan | None], order: str = BOTTOM_UP) -> P.Plan:
    """``plan`` with ``apply`` used on every node in ``order`` (see the module docstring)."""
    memo: dict = {}  # id(node) -> (node, rewritten): the node is kept so its id stays unique
    top_down = order == TOP_DOWN

    def visit(node):
        hit = memo.get(id(node))
        if hit is not None:
            return hit[1]
        out = node
        if top_down:
            new = apply(node)
            if new is not None:
                out = new
        inputs = out.inputs
        if inputs:
            rewritten = [visit(c) for c in inputs]
            for a, b in zip(rewritten, inputs):
                if a is not b:
                    out = P.with_inputs(out, rewritten)
                    break
        if not top_down:
            new = apply(out)
            if new is not None:
                out = new
        memo[id(node)] = (node, out)
        return out

    return visit(plan)
