"""Comparisons and logic: = <> < <= > >=, IS [NOT] DISTINCT FROM, IS, AND/OR/NOT/XOR, BETWEEN,
IN lists, EXISTS, COLLATE.

Laws: three-valued logic (a comparison with NULL is NULL; x IN (a, b) is x = a OR x = b); integers
and DECIMALs compare exactly as they are (a common type could round), other operands after
unification; two constants fold (so CASE can drop branches never taken); IS NOT DISTINCT FROM is
never NULL; a COLLATE on either side of a comparison applies to both.
"""

from __future__ import annotations

from sqlglot import exp

from .. import functions as FN
from ..expr import Lit
from ..types import BIGINT, BOOLEAN, DOUBLE
from .builders import COMPARISONS, and_, boolean, call, is_not_null, is_null, not_, or_


class ComparisonRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def comparison(self, fn, a, b, node):
        if a.type.kind == "interval" and b.type.kind == "interval":
            a, b = call("interval_key", [a], BIGINT), call("interval_key", [b], BIGINT)
        if self.dialect.name == "sqlite" and a.type.kind != b.type.kind:
            a, b = self.sqlite_affinity(a, b, node)
        if {a.type.kind, b.type.kind} == {"bool", "int"}:  # DuckDB compares a BOOLEAN as 0 or 1
            a, b = (self.coerce(x, BIGINT, node) if x.type.kind == "bool" else x for x in (a, b))
        if not _exact(a, b):  # (integers and decimals compare exactly as they are)
            (a, b), _ = self.unify([a, b], node, "comparison")
        if isinstance(a, Lit) and isinstance(b, Lit) and a.type.kind not in ("float", "interval"):
            # two constants: fold (lets CASE drop branches that can never be taken)
            if a.value is None or b.value is None:
                return Lit(None, BOOLEAN)
            import operator
            ops = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
                   "gt": operator.gt, "ge": operator.ge}
            return Lit(bool(ops[fn](a.value, b.value)), BOOLEAN)
        return boolean(fn, [a, b])

    def sqlite_affinity(self, a, b, node):
        """SQLite compares a number with a text column after converting the text (column affinity)."""
        if a.type.numeric and b.type.kind == "text":
            return a, self.coerce(b, DOUBLE, node)
        if b.type.numeric and a.type.kind == "text":
            return self.coerce(a, DOUBLE, node), b
        if a.type.kind == "bool" and b.type.numeric:
            return self.coerce(a, BIGINT, node), b
        if b.type.kind == "bool" and a.type.numeric:
            return a, self.coerce(b, BIGINT, node)
        return a, b

    def _compare(self, node):
        fn = COMPARISONS[type(node)]
        rhs = node.expression
        if isinstance(rhs, (exp.Any, exp.All)):
            return self.qb.quantified_subquery(node, fn, rhs, self.rel, self)
        a, b = self.comparison_operands(node)
        return self.comparison(fn, a, b, node)

    _EQ = _NEQ = _LT = _LTE = _GT = _GTE = _compare

    def _NullSafeEQ(self, node):
        a, b = self.bind(node.this), self.bind(node.expression)
        if not _exact(a, b):
            (a, b), _ = self.unify([a, b], node, "IS NOT DISTINCT FROM")
        return boolean("is_not_distinct", [a, b], nullable=False)

    def _NullSafeNEQ(self, node):
        a, b = self.bind(node.this), self.bind(node.expression)
        if not _exact(a, b):
            (a, b), _ = self.unify([a, b], node, "IS DISTINCT FROM")
        return boolean("is_distinct", [a, b], nullable=False)

    def _Is(self, node):
        a = self.bind(node.this)
        target = node.expression
        if isinstance(target, exp.Null):
            return is_null(a)
        if isinstance(target, exp.Boolean):
            a = self.as_condition(a, node)
            return boolean("is_not_distinct", [a, Lit(bool(target.this), BOOLEAN)], nullable=False)
        b = self.bind(target)
        (a, b), _ = self.unify([a, b], node, "IS")
        return boolean("is_not_distinct", [a, b], nullable=False)

    def _And(self, node):
        return and_(self.condition(node.this), self.condition(node.expression))

    def _Or(self, node):
        return or_(self.condition(node.this), self.condition(node.expression))

    def _Xor(self, node):
        a, b = self.condition(node.this), self.condition(node.expression)
        return boolean("ne", [a, b])

    def _Not(self, node):
        inner = node.this
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
            return is_not_null(self.bind(inner.this))
        return not_(self.condition(inner))

    def _Between(self, node):
        x = self.bind(node.this)
        lo, hi = self.bind(node.args["low"]), self.bind(node.args["high"])
        if not _exact(x, lo, hi):  # (integers and decimals compare exactly as they are)
            (x, lo, hi), _ = self.unify([x, lo, hi], node, "BETWEEN")
        if node.args.get("symmetric"):
            raise self.error(node, "BETWEEN SYMMETRIC is not supported")
        return and_(boolean("ge", [x, lo]), boolean("le", [x, hi]))

    def _In(self, node):
        if node.args.get("query") is not None:
            return self.qb.in_subquery(node, self.rel, self)
        if node.args.get("unnest") is not None or node.args.get("field") is not None:
            raise self.error(node, "IN UNNEST is not supported")
        if isinstance(node.this, exp.Collate):  # x COLLATE c IN (…): each item compared under c
            apply = self.collation(node.this)
            x = apply(self.bind(node.this.this))
            items = [apply(self.bind(i)) for i in node.expressions]
        else:
            x = self.bind(node.this)
            items = [self.bind(i) for i in node.expressions]
        if not items:
            return Lit(False, BOOLEAN)  # x IN () is FALSE, even for a NULL x (SQLite)
        if self.dialect.name == "sqlite":
            items = [self.sqlite_affinity(x, i, node)[1] for i in items]
        exact = _exact(x, *items)
        if not exact:  # integers and decimals compare exactly as they are (a common type could round)
            allx, _ = self.unify([x] + items, node, "IN")
            x, items = allx[0], allx[1:]
        if all(isinstance(i, Lit) for i in items):
            return boolean("in_list", [x] + items)
        # x IN (a, b) = x = a OR x = b in three-valued logic
        out = None
        for i in items:
            eq = boolean("eq", [x, i])
            out = eq if out is None else or_(out, eq)
        return out

    def _Exists(self, node):
        return self.qb.exists_subquery(node, self.rel, self)

    def _Collate(self, node):
        """x COLLATE c as an ORDER BY key: the key the collation sorts by.  (In a comparison, see
        comparison_operands; anywhere else DuckDB's result would be x itself, yet collated where it
        is compared later: refused.)"""
        if not (node.parent is None or isinstance(node.parent, exp.Ordered)):
            raise self.error(node, "COLLATE is only supported on a comparison operand or an ORDER BY key")
        return self.collation(node)(self.bind(node.this))

    def collation(self, node):
        """The function from a VARCHAR to the key its COLLATE compares by: NOCASE compares lower case,
        NOACCENT (DuckDB) without accents, NOCASE.NOACCENT (either order) both."""
        name = collation_name(node)
        parts = set(name.split(".")) if self.dialect.name == "duckdb" else {name}

        def apply(e):
            if e.type.kind not in ("text", "null"):
                raise self.error(node, f"COLLATE needs a VARCHAR, not {e.type}")
            if "noaccent" in parts:
                e = FN.call("strip_accents", [e])
            if "nocase" in parts:
                e = FN.call("ascii_lower" if self.dialect.name == "sqlite" else "lower", [e])
            return e
        if name == "binary" or (name in ("c", "posix") and self.dialect.name != "sqlite") or name == "nocase" or (
                self.dialect.name == "duckdb" and parts <= {"nocase", "noaccent"}):
            return apply
        raise self.error(node.expression if node.expression is not None else node,
                         f"collation {name!r} is not supported")

    def comparison_operands(self, node):
        """The two sides of a comparison, with a COLLATE on either side applied to both (as DuckDB
        compares them)."""
        sides = [node.this, node.expression]
        collates = [x for x in sides if isinstance(x, exp.Collate)]
        if not collates:
            return self.bind(sides[0]), self.bind(sides[1])
        keys = {collation_name(c) for c in collates}  # (as DuckDB: NOCASE.NOACCENT is not NOACCENT.NOCASE)
        if len(keys) > 1:
            raise self.error(node, "a comparison of two different collations")
        apply = self.collation(collates[0])
        return tuple(apply(self.bind(x.this if isinstance(x, exp.Collate) else x)) for x in sides)


def collation_name(node) -> str:
    """The collation a COLLATE names, in lower case; DuckDB's combinations dotted (NOCASE.NOACCENT: the
    frontend makes them one name)."""
    return node.expression.name.lower() if node.expression is not None else ""


def _exact(*operands) -> bool:
    """Whether the operands are all integers or DECIMALs, which compare exactly as they are: a common
    type could round one (DECIMAL(38,0) and -0.5 have no common type that holds both, and DuckDB compares
    them as they are)."""
    return all(e.type.numeric and e.type.kind != "float" for e in operands)
