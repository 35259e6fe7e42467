"""An outer join whose ON condition the binder can only evaluate on a cross product (it holds a
subquery: EXISTS, IN, a scalar subquery), built from the pairs that satisfy it.

Laws (L, R multisets; M the pairs of L × R that satisfy the condition, with their multiplicities):

- L LEFT JOIN R ON c  =  M  ⊎  {(l, NULLs) : l ∈ L, no pair of M has left part l}
- L RIGHT JOIN R ON c =  M  ⊎  {(NULLs, r) : r ∈ R, no pair of M has right part r}
- L FULL JOIN R ON c  =  both unmatched parts added to M.

Whether a row has a partner depends only on its values (the condition is a function of the pair),
so equal rows are matched alike: "no pair has left part l" is an anti-semijoin of L against M on
every left column, NULL-safe (IS NOT DISTINCT FROM), and a row kept k times in L is padded k times.
Every operator here (project, anti-semijoin, union all) is incremental, so the outer join is too.
"""

from __future__ import annotations

from . import plan as P
from .expr import Lit


def outer_join_from_pairs(left, right, matched, kind: str):
    """The plan of ``left kind JOIN right`` (kind: left, right or full) given ``matched``: the
    satisfying pairs, whose first columns are left's then right's (later ones are dropped)."""
    lf, rf = left.fields, right.fields
    nl, nr = len(lf), len(rf)
    mf = matched.fields
    names = tuple(f.name for f in lf + rf)
    pairs = P.Project(matched, tuple(P.col(mf, i) for i in range(nl + nr)), names)
    pf = pairs.fields
    parts = [pairs]
    if kind in ("left", "full"):
        lonely = P.Semijoin(left, pairs, tuple(P.col(lf, i) for i in range(nl)),
                            tuple(P.col(pf, i) for i in range(nl)), (True,) * nl, "anti")
        parts.append(P.Project(lonely, tuple(P.col(lf, i) for i in range(nl)) +
                               tuple(Lit(None, f.type) for f in rf), names))
    if kind in ("right", "full"):
        lonely = P.Semijoin(right, pairs, tuple(P.col(rf, i) for i in range(nr)),
                            tuple(P.col(pf, nl + i) for i in range(nr)), (True,) * nr, "anti")
        parts.append(P.Project(lonely, tuple(Lit(None, f.type) for f in lf) +
                               tuple(P.col(rf, i) for i in range(nr)), names))
    fields = P.Join(left, right, kind, (), (), ()).fields  # (outer sides nullable)
    return P.UnionAll(tuple(parts), fields)
