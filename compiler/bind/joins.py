"""Joins: [INNER | LEFT | RIGHT | FULL | CROSS] JOIN, LATERAL, SEMI / ANTI and ASOF joins.

Laws: an ON condition splits into equi-join keys (NULL-safe where written so) and a residual
(passes/split_join.py); LATERAL is decorrelated through the domain of the values it reads from the
items before it; SEMI / ANTI JOIN is WHERE [NOT] EXISTS; in a correlated SELECT a RIGHT or FULL join
takes the domain from the preserved side.
"""

from __future__ import annotations

from sqlglot import exp

from .. import lists
from .. import plan as P
from ..bind_expr import ExprBinder
from ..expr import columns_used, conjuncts, shift
from ..outer_pairs import outer_join_from_pairs
from ..passes.split_join import split_condition
from ..scope import Outer, Rel
from ..subqueries import free_columns
from .builders import call
from .from_clause import named_columns


def _preserved_domain(join, n_left: int, p: int, kind: str):
    """The first p columns of a RIGHT or FULL join of domain-prefixed sides, made the domain of
    the preserved side: the right's copy (RIGHT) or COALESCE(left's, right's) (FULL; the copies
    are equal on matched rows, one of them NULL-padded otherwise)."""
    fields = join.fields
    exprs = []
    for i in range(p):
        left, right = P.col(fields, i), P.col(fields, n_left + i)
        exprs.append(right if kind == "right" else
                     call("coalesce", [left, right], left.type, nullable=fields[i].nullable))
    exprs += [P.col(fields, i) for i in range(p, len(fields))]
    return P.Project(join, tuple(exprs), tuple(f.name for f in fields))


class JoinBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def lateral(self, rel: Rel, item: exp.Lateral) -> Rel:
        """LATERAL (subquery): decorrelated like a correlated subquery, through the domain of the
        values it reads from the items before it, D = DISTINCT(those columns of rel); the result
        carries D's columns first, and the join pairs them with rel's (NULL-safely)."""
        sub = item.this
        if not isinstance(sub, exp.Subquery):
            raise self.error(item, f"LATERAL {type(sub).__name__} is not supported")
        free = free_columns(sub.this, self.dialect.name == "duckdb")
        for c in free:
            if not isinstance(c, exp.Column):
                raise self.error(c, "an aggregate of the outer query inside LATERAL is not supported")
        idx, where = [], {}
        for c in free:
            i = rel.resolve(c, self).index
            if i not in idx:
                idx.append(i)
            where[(c.table, c.name)] = idx.index(i)
        cols = tuple(rel.col(i) for i in idx)
        domain = P.Distinct(P.Project(rel.plan, cols, tuple(f"$outer{i}" for i in range(len(cols)))))
        b = self.query(sub.this, Outer(domain, where) if free else None)
        names = list(b.names)
        alias_node = item.args.get("alias")
        columns = [c.name for c in alias_node.columns] if alias_node is not None and alias_node.columns else []
        if len(columns) > len(names):
            raise self.error(item, f"{item.alias_or_name} has {len(names)} columns but {len(columns)} names were given")
        names = columns + names[len(columns):]
        scope = named_columns(item.alias_or_name, names, b.prefix)
        return Rel(b.plan, scope, prefix=b.prefix, pairs_with=cols if free else None)

    def join(self, rel: Rel, j: exp.Join, outer: Outer | None = None) -> Rel:
        """rel JOIN item.  With ``outer``, rel starts with the correlation domain and the join is
        made per outer value: paired on the domain columns, and, for RIGHT and FULL joins, which pad
        the left side (domain included) with NULLs, the right side carries the domain too and the
        result's domain is taken from the preserved side."""
        side = (j.args.get("side") or "").upper()
        if (j.args.get("kind") or "").upper() in ("SEMI", "ANTI"):
            return self.semi_join(rel, j)
        if isinstance(j.this, exp.Unnest):  # a flat-map of rel (compiler/lists.py)
            return lists.unnest_join(self, rel, j, Rel, ExprBinder)
        if isinstance(j.this, exp.Lateral):
            if side in ("RIGHT", "FULL"):
                raise self.error(j, f"{side} JOIN LATERAL is not supported (the lateral side reads the left)")
            right = self.lateral(rel, j.this)
        else:
            right = self.source(j.this, outer)
        if outer is not None and side in ("RIGHT", "FULL") and not right.prefix:
            p = len(outer.domain.fields)
            right = Rel(P.Join(outer.domain, right.plan, "inner", (), (), (), None),
                        {k: i + p for k, i in right.scope.items()}, prefix=p)
        kind = (j.args.get("kind") or "").upper()
        if (j.args.get("method") or "").upper() == "ASOF" and not kind:
            return self.asof_join(rel, right, j, side, outer)
        if kind in ("SEMI", "ANTI", "ASOF", "POSITIONAL") or j.args.get("method"):
            raise self.error(j, f"{kind or j.args.get('method')} JOIN is not supported")
        if j.args.get("using"):
            raise self.error(j, "JOIN … USING could not be resolved")
        n_left = rel.width
        scope = self.joined_scope(rel, right, j)
        on = j.args.get("on")
        jkind = {"LEFT": "left", "RIGHT": "right", "FULL": "full"}.get(side, "inner")
        dk = self.domain_keys(rel, right)
        cross = P.Join(rel.plan, right.plan, "inner", *dk)
        if on is None:
            if jkind != "inner":
                raise self.error(j, f"{side} JOIN needs an ON or USING condition")
            return Rel(cross, scope, dict(rel.ast_map))
        combined = Rel(cross, scope, dict(rel.ast_map))
        eb = ExprBinder(self, combined)
        cond = eb.condition(on)
        if combined.plan is not cross:  # a subquery in ON: the pairs that satisfy it, from the cross product
            matched = P.Filter(combined.plan, cond)
            if jkind == "inner":
                return Rel(matched, scope, dict(rel.ast_map))
            if outer is not None and jkind in ("right", "full"):
                raise self.error(on, f"subqueries in the ON condition of a {side} JOIN inside a correlated "
                                     f"subquery are not supported")
            return Rel(outer_join_from_pairs(rel.plan, right.plan, matched, jkind), scope, dict(rel.ast_map))
        lk, rk, safe, residual = split_condition(cond, n_left)
        plan = P.Join(rel.plan, right.plan, jkind, dk[0] + lk, dk[1] + rk, dk[2] + safe, residual)
        if outer is not None and jkind in ("right", "full"):
            plan = _preserved_domain(plan, n_left, right.prefix, jkind)
        return Rel(plan, scope, dict(rel.ast_map))

    def joined_scope(self, rel: Rel, right: Rel, j: exp.Join) -> dict:
        """The names of ``rel`` and then ``right`` (its columns after rel's), an alias in both refused."""
        scope = dict(rel.scope)
        for k, i in right.scope.items():
            if k in scope:
                raise self.error(j.this, f"duplicate table alias {k[0]!r} in FROM")
            scope[k] = i + rel.width
        return scope

    def asof_join(self, rel: Rel, right: Rel, j: exp.Join, side: str, outer) -> Rel:
        """ASOF [LEFT] JOIN … ON equalities AND one inequality between a left and a right time (a USING
        list arrives here as that: compiler/frontend._asof_using)."""
        if side not in ("", "LEFT"):
            raise self.error(j, f"ASOF {side} JOIN is not supported (only ASOF JOIN and ASOF LEFT JOIN)")
        if outer is not None:
            raise self.error(j, "ASOF JOIN inside a correlated subquery is not supported")
        on = j.args.get("on")
        if j.args.get("using") or on is None:
            raise self.error(j, "ASOF JOIN needs ON equalities AND one inequality, or USING (keys, time)")
        n_left = rel.width
        scope = self.joined_scope(rel, right, j)
        cross = P.Join(rel.plan, right.plan, "inner", (), (), ())
        combined = Rel(cross, scope, dict(rel.ast_map))
        cond = ExprBinder(self, combined).condition(on)
        if combined.plan is not cross:
            raise self.error(on, "subqueries in the ON condition of an ASOF JOIN are not supported")
        lk, rk, safe, residual = split_condition(cond, n_left)
        flipped = {"ge": "le", "gt": "lt", "le": "ge", "lt": "gt"}
        inequality = None
        if residual is not None and len(conjuncts(residual)) == 1 and getattr(residual, "fn", None) in flipped:
            a, b = residual.args
            ca, cb = columns_used(a), columns_used(b)
            if ca and cb and max(ca) < n_left <= min(cb):
                inequality = (a, shift(b, -n_left), residual.fn)
            elif ca and cb and max(cb) < n_left <= min(ca):
                inequality = (b, shift(a, -n_left), flipped[residual.fn])
        if inequality is None:
            raise self.error(on, "ASOF JOIN's ON must be equalities between the two sides AND exactly one "
                                 "inequality (>=, >, <=, <) between a left and a right expression")
        plan = P.AsofJoin(rel.plan, right.plan, "left" if side == "LEFT" else "inner", lk, rk, safe, *inequality)
        return Rel(plan, scope, dict(rel.ast_map))

    def semi_join(self, rel: Rel, j: exp.Join) -> Rel:
        """rel SEMI JOIN item ON c: the rows of rel for which some row of item satisfies c, each
        once (ANTI: for which none does); item's columns stay out of scope.  It is
        rel WHERE [NOT] EXISTS (SELECT 1 FROM item WHERE c), and binds as that (subqueries.py)."""
        kind = j.args["kind"].upper()
        if isinstance(j.this, exp.Lateral) or j.args.get("side"):
            raise self.error(j, f"{j.args.get('side') or 'LATERAL'} {kind} JOIN is not supported")
        on = j.args.get("on")
        if on is None:
            raise self.error(j, f"{kind} JOIN needs an ON or USING condition")
        sub = exp.Select(expressions=[exp.Literal.number(1)], from_=exp.From(this=j.this.copy()),
                         where=exp.Where(this=on.copy()))
        test = exp.Exists(this=sub)
        self.where_subquery(exp.Not(this=test) if kind == "ANTI" else test, rel)
        return rel
