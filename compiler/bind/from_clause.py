"""FROM items: tables, views, CTEs, derived tables and VALUES, and the correlation domain a
correlated SELECT reads them with.

Laws: a FROM item's scope maps (alias, column) to a column index, the first of two equal names
winning (DuckDB, SQLite); a correlated SELECT reads FROM domain × items, so outer values are in
scope for ON conditions and derived tables; a correlated derived table carries the domain columns
first and is joined to the domain on them, NULL-safely.
"""

from __future__ import annotations

from sqlglot import exp

from .. import lists
from .. import plan as P
from ..bind_expr import ExprBinder
from ..scope import Outer, Rel
from ..subqueries import free_columns


def named_columns(alias: str, names, offset: int = 0) -> dict:
    """The scope of a FROM item: (alias, name) -> column index.  Of two columns with one name (a
    subquery's ``SELECT 1 AS a, 2 AS a``) the name is the first, as DuckDB and SQLite bind it
    (Postgres calls it ambiguous: the frontend refuses such a reference there)."""
    scope: dict = {}
    for i, n in enumerate(names):
        scope.setdefault((alias, n), i + offset)
    return scope


def _from_reads_outer(select) -> bool:
    """Whether a SELECT's FROM clause (a derived table, an ON condition) reads an outer column."""
    clauses = [select.args.get("from_")] + list(select.args.get("joins") or [])
    for c in free_columns(select):
        node = c
        while node is not None and node is not select:
            if any(node is clause for clause in clauses):
                return True
            node = node.parent
    return False


class FromBinding:
    """QueryBinder methods for the constructs above (mixed into QueryBinder)."""

    def from_clause(self, node: exp.Select, outer: Outer | None) -> Rel:
        from_ = node.args.get("from_")
        joins = node.args.get("joins") or []
        outer_joins = any((j.args.get("side") or "").upper() in ("RIGHT", "FULL") for j in joins)
        if outer is not None and (not outer_joins or _from_reads_outer(node)):
            # a correlated SELECT reads FROM domain × items: the outer values are in scope for ON
            # conditions and derived tables too (see join for RIGHT and FULL joins)
            rel = self.outer_rel(outer)
            if from_ is not None:
                rel = self.join_source(rel, self.source(from_.this, outer), from_.this)
            for j in joins:
                rel = self.join(rel, j, outer)
            return rel
        rel = self.source(from_.this) if from_ is not None else Rel(P.Values(((),), ()))
        for j in joins:
            rel = self.join(rel, j)
        if outer is not None:
            rel = self.join_source(self.outer_rel(outer), rel, node)
        return rel

    def outer_rel(self, outer: Outer) -> Rel:
        """The correlation domain as a relation: outer columns by name, outer aggregates by tree."""
        scope, ast_map = {}, {}
        for k, i in outer.columns.items():
            if isinstance(k, tuple):
                scope[k] = i
            else:
                ast_map[k] = i  # an aggregate of the outer query
        return Rel(outer.domain, scope, ast_map)

    def join_source(self, rel: Rel, right: Rel, node) -> Rel:
        """rel × right, or, for a correlated derived table, rel joined with it on the domain."""
        n_left = rel.width
        scope = dict(rel.scope)
        for k, i in right.scope.items():
            if k in scope:
                raise self.error(node, f"duplicate table alias {k[0]!r} in FROM")
            scope[k] = i + n_left
        keys = self.domain_keys(rel, right)
        plan = P.Join(rel.plan, right.plan, "inner", *keys)
        return Rel(plan, scope, dict(rel.ast_map))

    @staticmethod
    def domain_keys(rel: Rel, right: Rel):
        """Join keys pairing a correlated derived table's domain columns with the domain's (or, for
        a LATERAL item, with the columns of the items before it that it reads)."""
        p = right.prefix
        left = right.pairs_with if right.pairs_with is not None else tuple(rel.col(i) for i in range(p))
        return left, tuple(P.col(right.plan.fields, i) for i in range(p)), (True,) * p

    def source(self, item, outer: Outer | None = None) -> Rel:
        alias_node = item.args.get("alias")
        columns = [c.name for c in alias_node.columns] if alias_node is not None and alias_node.columns else []
        if isinstance(item, exp.Table):
            if not isinstance(item.this, exp.Identifier):
                raise self.error(item, f"table functions are not supported: {item.sql()}")
            name = item.name
            alias = item.alias_or_name
            if item.args.get("db") is not None:
                raise self.error(item, f"schema-qualified names are not supported: {item.sql()}")
            cte = self.ctes.get(name)
            if name in self.series:
                plan, names = self.series_plan(self.series[name], item)
            elif cte is not None:
                if isinstance(cte, P.RecRef):
                    plan, names = cte, [f.name for f in cte.fields]
                else:
                    plan, names = cte.plan, cte.names
            else:
                rel = self.catalog.relation(name)
                if rel is None:
                    raise self.error(item, f"unknown table {name!r}")
                plan = P.Scan(name, rel.fields, rel.is_view)
                names = [f.name for f in rel.fields]
        elif isinstance(item, exp.Subquery) and isinstance(item.this, exp.Table):
            # a parenthesized join, FROM (a JOIN b ON …): the same as the join written out
            rel = self.source(item.this)
            for j in item.this.args.get("joins") or []:
                rel = self.join(rel, j)
            return rel
        elif isinstance(item, exp.Subquery):
            correlated = outer is not None and bool(free_columns(item.this))
            b = self.query(item.this, outer if correlated else None)
            plan, names = b.plan, b.names
            alias = item.alias_or_name
            if b.prefix:  # a derived table reading the outer query: its domain columns come first
                if columns:
                    names = columns + names[len(columns):]
                return Rel(plan, named_columns(alias, names, b.prefix), prefix=b.prefix)
        elif isinstance(item, exp.Lateral):
            raise self.error(item, "LATERAL needs a FROM item before it to read")
        elif isinstance(item, exp.Unnest):
            return lists.unnest_source(self, item, Rel, ExprBinder)
        elif isinstance(item, exp.Values):
            b = self.values(item, None)
            plan, names = b.plan, b.names
            alias = item.alias_or_name
        else:
            raise self.error(item, f"unsupported FROM item: {type(item).__name__}")
        if columns:
            if len(columns) > len(names):
                raise self.error(item, f"{alias} has {len(names)} columns but {len(columns)} names were given")
            names = columns + names[len(columns):]
        return Rel(plan, named_columns(alias, names))
