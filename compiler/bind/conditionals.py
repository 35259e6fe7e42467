"""Conditional expressions: CASE, IF, COALESCE, NULLIF, GREATEST / LEAST, TRY.

TRY(e) is e, or NULL for a row where computing e raises.

Laws: a branch is evaluated only when taken, so a branch that can never be taken (a constant
condition, a COALESCE argument after a non-NULL constant) is dropped but still counts for the result
type (so one that cannot be bound is refused: its type is unknown); the result type is the unification
of all branches; NULLIF has its first argument's type;
GREATEST / LEAST ignore NULLs except in SQLite, where any NULL makes the result NULL.
"""

from __future__ import annotations

from sqlglot import exp

from ..expr import Call, Case, Lit
from ..frontend import using_binding
from ..types import NULLTYPE
from .builders import is_null


class ConditionalRules:
    """ExprBinder methods for the constructs above (mixed into ExprBinder)."""

    def _Case(self, node):
        operand = node.this
        whens = []
        dead = []  # results of branches that can never be taken: they only count for the type
        op = self.bind(operand) if operand is not None else None
        default_node = node.args.get("default")
        ifs = node.args.get("ifs") or []
        for i, w in enumerate(ifs):
            if op is not None:
                cond = self.comparison("eq", op, self.bind(w.this), w)
            else:
                cond = self.condition(w.this)
            if isinstance(cond, Lit) and cond.value is not True:
                dead.append(w.args["true"])
                continue
            whens.append((cond, self.bind(w.args["true"])))
            if isinstance(cond, Lit):  # always taken: the later branches and ELSE are dead
                dead += [x.args["true"] for x in ifs[i + 1:]]
                if default_node is not None:
                    dead.append(default_node)
                default_node = None
                break
        default = self.bind(default_node) if default_node is not None else Lit(None, NULLTYPE)
        typed = [v for _, v in whens] + [default]
        for d in dead:
            typed.append(self.bind(d))  # (refused where it cannot be bound: its type is unknown)
        values, t = self.unify(typed, node, "CASE")
        live = values[:len(whens) + 1]
        if not whens:
            return live[-1]
        whens = tuple((c, v) for (c, _), v in zip(whens, live[:-1]))
        return Case(whens, live[-1], t, any(v.nullable for v in live))

    def _If(self, node):
        cond = self.condition(node.this)
        a = self.bind(node.args["true"])
        b = self.bind(node.args["false"]) if node.args.get("false") is not None else Lit(None, NULLTYPE)
        (a, b), t = self.unify([a, b], node, "IF")
        return Case(((cond, a),), b, t, a.nullable or b.nullable)

    def _Coalesce(self, node):
        if node.meta.get("using_column"):
            # a USING column is the column it always equals where there is one (DuckDB's type too);
            # an ORDER BY key may be a detached copy, with no SELECT to tell the join sides
            select = node.find_ancestor(exp.Select)
            bound = using_binding(node, select) if select is not None else None
            if bound is not None:
                return self.bind(bound)
        args = []
        nodes = [node.this] + list(node.expressions)
        for i, x in enumerate(nodes):
            args.append(self.bind(x))
            if isinstance(args[-1], Lit) and args[-1].value is not None:
                # later arguments are never reached, but they still take part in the result's type
                typed = list(args)
                for rest in nodes[i + 1:]:
                    typed.append(self.bind(rest))
                if len(typed) == 1:
                    return args[0]
                unified, t = self.unify(typed, node, "COALESCE")
                args = unified[:len(args)]
                if len(args) == 1:
                    return args[0]
                return Call("coalesce", tuple(args), t, all(a.nullable for a in args))
        if len(args) == 1:
            return args[0]
        args, t = self.unify(args, node, "COALESCE")
        return Call("coalesce", tuple(args), t, all(a.nullable for a in args))

    def _Nullif(self, node):
        """NULLIF(a, b): a, or NULL where a = b; the result has a's type (as in DuckDB)."""
        a, b = self.bind(node.this), self.bind(node.expression)
        cmp = self.comparison("eq", a, b, node)
        if a.type.kind == "null":
            return a
        return Case(((cmp, Lit(None, a.type)),), a, a.type, True)

    def _Greatest(self, node):
        return self.extreme("greatest", node)

    def _Least(self, node):
        return self.extreme("least", node)

    def extreme(self, fn, node):
        args = [self.bind(node.this)] + [self.bind(x) for x in node.expressions]
        args, t = self.unify(args, node, fn.upper())
        ignore_nulls = node.args.get("ignore_nulls")  # the parser says which its dialect means
        if ignore_nulls is None:
            ignore_nulls = self.dialect.name != "sqlite"
        if not ignore_nulls:  # SQLite's MAX(a, b) is NULL if any argument is
            return Case(tuple((is_null(a), Lit(None, t)) for a in args),
                        Call(fn, tuple(args), t, False), t, True)
        return Call(fn, tuple(args), t, all(a.nullable for a in args))

    def _Try(self, node):
        """TRY(e): e, or NULL for a row where computing e fails (an overflow, a cast, a division)."""
        e = self.bind(node.this)
        return Call("try", (e,), e.type, True)
